"""Small clients that query whichever member a connection string reaches, one query at a
time, and record what the server answered: CommitRecorder writes one row per transaction
(the proof that a failover or switchover lost nothing is that every acknowledged row is
there afterwards), ReadRecorder reads which server answers."""

from __future__ import annotations

import threading
import time

import psycopg2


class RecordingClient(threading.Thread):
    """Runs attempt() over and over on one connection, reconnecting after any error; the
    errors are kept, and each subclass records its own answers and when they came."""

    def __init__(self, addresses: list[str], password: str, port: int = 5432, user: str = "postgres",
                 target_session_attrs: str = "read-write") -> None:
        super().__init__(daemon=True)
        self.dsn = dict(
            host=",".join(addresses), port=port, dbname="postgres", user=user, password=password,
            sslmode="require", target_session_attrs=target_session_attrs, connect_timeout=2,
            # A member cut off from the network sends no reset: without these, a query
            # waiting on it would wait for the kernel's TCP timeout (many minutes).
            keepalives=1, keepalives_idle=2, keepalives_interval=1, keepalives_count=3, tcp_user_timeout=5000,
        )
        self.errors: list[str] = []
        self._halt = threading.Event()

    def attempt(self, cursor) -> None:
        raise NotImplementedError

    def answer_times(self) -> list[float]:
        raise NotImplementedError

    def run(self) -> None:
        connection = None
        while not self._halt.is_set():
            try:
                if connection is None:
                    connection = psycopg2.connect(**self.dsn)
                    connection.autocommit = True
                with connection.cursor() as cursor:
                    self.attempt(cursor)
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
        """Stops querying (idempotent)."""
        self._halt.set()
        if self.is_alive():
            self.join(timeout=30)

    def longest_pause(self) -> float:
        """Longest time between two answers, in seconds."""
        times = self.answer_times()
        return max((later - earlier for earlier, later in zip(times, times[1:])), default=0.0)


class CommitRecorder(RecordingClient):
    def __init__(self, addresses: list[str], password: str, table: str = "ha_probe", **connection) -> None:
        super().__init__(addresses, password, **connection)
        self.table = table
        self.acknowledged: list[int] = []
        self.acknowledged_at: list[float] = []
        self._number = 0

    def prepare(self) -> None:
        connection = psycopg2.connect(**self.dsn)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}; CREATE TABLE {self.table} (n int PRIMARY KEY, at timestamptz)")
        connection.close()

    def attempt(self, cursor) -> None:
        self._number += 1  # an attempt whose outcome is unknown is never retried under the same number
        cursor.execute(f"INSERT INTO {self.table} VALUES (%s, clock_timestamp())", (self._number,))
        self.acknowledged.append(self._number)
        self.acknowledged_at.append(time.monotonic())

    def answer_times(self) -> list[float]:
        return self.acknowledged_at


class ReadRecorder(RecordingClient):
    """Records which server answered each read: (address, whether it is in recovery)."""

    def __init__(self, addresses: list[str], password: str, **connection) -> None:
        super().__init__(addresses, password, **connection)
        self.servers: list[tuple[str, bool]] = []
        self.answered_at: list[float] = []

    def attempt(self, cursor) -> None:
        cursor.execute("SELECT host(inet_server_addr()), pg_is_in_recovery()")
        self.servers.append(cursor.fetchone())
        self.answered_at.append(time.monotonic())

    def answer_times(self) -> list[float]:
        return self.answered_at
