"""A small client that writes one row per transaction to whichever member leads, and
records every commit the server acknowledged: the proof that a failover or switchover
lost nothing is that every acknowledged row is there afterwards."""

from __future__ import annotations

import threading
import time

import psycopg2


class CommitRecorder(threading.Thread):
    def __init__(self, addresses: list[str], password: str, table: str = "ha_probe", port: int = 5432,
                 user: str = "postgres", target_session_attrs: str = "read-write") -> None:
        super().__init__(daemon=True)
        self.dsn = dict(
            host=",".join(addresses), port=port, dbname="postgres", user=user, password=password,
            sslmode="require", target_session_attrs=target_session_attrs, connect_timeout=2,
            # A member cut off from the network sends no reset: without these, a commit
            # waiting on it would wait for the kernel's TCP timeout (many minutes).
            keepalives=1, keepalives_idle=2, keepalives_interval=1, keepalives_count=3, tcp_user_timeout=5000,
        )
        self.table = table
        self.acknowledged: list[int] = []
        self.acknowledged_at: list[float] = []
        self.errors: list[str] = []
        self._halt = threading.Event()

    def prepare(self) -> None:
        connection = psycopg2.connect(**self.dsn)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}; CREATE TABLE {self.table} (n int PRIMARY KEY, at timestamptz)")
        connection.close()

    def run(self) -> None:
        number, connection = 0, None
        while not self._halt.is_set():
            number += 1  # an attempt whose outcome is unknown is never retried under the same number
            try:
                if connection is None:
                    connection = psycopg2.connect(**self.dsn)
                    connection.autocommit = True
                with connection.cursor() as cursor:
                    cursor.execute(f"INSERT INTO {self.table} VALUES (%s, clock_timestamp())", (number,))
                self.acknowledged.append(number)
                self.acknowledged_at.append(time.monotonic())
            except psycopg2.Error as error:
                self.errors.append(str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__)
                if connection is not None:
                    connection.close()
                connection = None
                time.sleep(0.1)
            time.sleep(0.02)
        if connection is not None:
            connection.close()

    def stop(self) -> None:
        """Stops writing (idempotent)."""
        self._halt.set()
        if self.is_alive():
            self.join(timeout=30)

    def longest_pause(self) -> float:
        """Longest time between two acknowledged commits, in seconds."""
        times = self.acknowledged_at
        return max((later - earlier for earlier, later in zip(times, times[1:])), default=0.0)
