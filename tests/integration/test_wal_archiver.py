"""dbaas-wal-archiver on the lab's solo cluster: a bulk load is archived ahead by the
long-lived archiver, every WAL segment of the load is in the store exactly once, and
killing the archiver in the middle of a batch leaves no gap."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from conftest import archive_server, docker_exec, psql, run_playbook

pytestmark = [pytest.mark.lane_solo, pytest.mark.bulk_load]

HOST = "thalassa-lab-pg4"  # the single member of cluster solo
BUCKET = "solo-backups"
PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
SEGMENTS_PER_LOG = 256  # 16 MiB segments
SPOOL = "/var/lib/postgresql/dbaas-wal-archiver"


def counts() -> dict:
    return json.loads(docker_exec(HOST, "cat", f"{SPOOL}/counts.json").stdout)


def backlog() -> int:
    return int(psql(HOST, "SELECT count(*) FROM pg_ls_dir('pg_wal/archive_status') AS f WHERE f LIKE '%.ready'"))


def close_segment() -> str:
    """Switches WAL and returns the name of the segment it closed."""
    return psql(HOST, "SELECT pg_walfile_name(pg_switch_wal())")


def first_new_segment() -> str:
    """The segment after the one a WAL switch closes, once that one is archived: the first
    the next writes fill. (At a segment boundary pg_walfile_name names the previous,
    already archived segment, so the current position cannot say it.)"""
    closed = close_segment()
    wait_until_archived(closed)
    return segment_name(closed[:8], segment_number(closed) + 1)


def segment_number(name: str) -> int:
    """A segment's position on its timeline (log * 256 + segment)."""
    return int(name[8:16], 16) * SEGMENTS_PER_LOG + int(name[16:24], 16)


def segment_name(timeline: str, number: int) -> str:
    return f"{timeline}{number // SEGMENTS_PER_LOG:08X}{number % SEGMENTS_PER_LOG:08X}"


def segment_range(first: str, last: str) -> list[str]:
    timeline = first[:8]
    assert last[:8] == timeline, (first, last)
    return [segment_name(timeline, number) for number in range(segment_number(first), segment_number(last) + 1)]


def stored_segments(s3) -> dict[str, int]:
    """How many objects the store holds for each WAL segment name of solo's current server."""
    prefix = f"solo/{archive_server(HOST)}/wals/"
    found: dict[str, int] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for item in page.get("Contents", []):
            name = item["Key"].rsplit("/", 1)[1].split(".")[0]
            if len(name) == 24:
                found[name] = found.get(name, 0) + 1
    return found


def wait_until_archived(last: str, seconds: int = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if psql(HOST, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") >= last and backlog() == 0:
            return
        time.sleep(0.5)
    raise AssertionError(f"{last} not archived within {seconds} s; {backlog()} files waiting; archiver counts {counts()}")


def start_bulk_load(scale: int = 16) -> subprocess.Popen:
    psql(HOST, "DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history")
    return subprocess.Popen(
        ["docker", "exec", "-u", "postgres", HOST, PGBENCH, "-h", "/var/run/postgresql", "-i", "-q", "-s", str(scale), "postgres"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def assert_each_segment_stored_once(s3, first: str, last: str) -> None:
    expected = segment_range(first, last)
    stored = stored_segments(s3)
    missing = [name for name in expected if name not in stored]
    repeated = {name: stored[name] for name in expected if stored.get(name, 0) > 1}
    assert not missing and not repeated, f"missing {missing}, stored more than once {repeated}"
    assert len(expected) >= 8, expected  # the load really spanned many segments


@pytest.fixture(autouse=True)
def drop_the_load():
    yield
    psql(HOST, "DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history")


LOADED = "SELECT count(*), sum(hashtext(a::text)) FROM pgbench_accounts AS a"


def test_a_bulk_load_is_archived_ahead_each_segment_once_and_restores_to_latest(lab_s3, lab_inventory):
    """Right after the load, a restore to latest from the store alone gives back every row:
    what the archiver uploaded ahead is what barman-cloud-wal-restore reads."""
    assert docker_exec(HOST, "systemctl", "is-active", "dbaas-wal-archiver").stdout.strip() == "active"
    first = first_new_segment()
    time.sleep(1.5)  # the archiver writes its counts once a second
    before = counts()
    load = start_bulk_load()
    assert load.wait(timeout=300) == 0, load.stdout.read()
    last = close_segment()
    wait_until_archived(last)

    time.sleep(1.5)  # the archiver writes its counts once a second
    after = counts()
    assert after["uploaded"] - before["uploaded"] >= len(segment_range(first, last))
    assert after["uploaded_ahead"] > before["uploaded_ahead"], (before, after)  # not only the file asked for
    assert_each_segment_stored_once(lab_s3, first, last)

    loaded = psql(HOST, LOADED)
    restore = run_playbook("restore", lab_inventory, "-e", "restore_cluster=solo", "-e", "restore_target=latest")
    assert restore.rc == 0, restore.output
    assert psql(HOST, LOADED) == loaded


def test_killing_the_archiver_mid_batch_leaves_no_gap(lab_s3, lab_inventory):
    first = first_new_segment()
    uploaded_before = counts()["uploaded"]
    load = start_bulk_load()
    deadline = time.monotonic() + 120
    while counts()["uploaded"] < uploaded_before + 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    docker_exec(HOST, "systemctl", "kill", "--signal=SIGKILL", "dbaas-wal-archiver")
    assert load.wait(timeout=300) == 0, load.stdout.read()
    last = close_segment()
    wait_until_archived(last)

    restarts = docker_exec(HOST, "systemctl", "show", "-p", "NRestarts", "--value", "dbaas-wal-archiver").stdout.strip()
    assert int(restarts) >= 1
    assert docker_exec(HOST, "systemctl", "is-active", "dbaas-wal-archiver").stdout.strip() == "active"
    assert_each_segment_stored_once(lab_s3, first, last)
    table = run_playbook("status", lab_inventory, "--limit", "solo")
    assert "Archive backlog: 0 WAL files waiting" in table.output, table.output


def test_a_fresh_archiver_serves_an_absolute_path_asked_from_another_directory():
    """Before pg_rewind, Patroni archives a returning old leader's ready files by running
    archive_command itself: from its own working directory, with an absolute path, while the
    archiver, started with the host, has not yet learnt the data directory from PostgreSQL."""
    psql(HOST, "SELECT pg_logical_emit_message(false, 'test', 'a write, so that the switch closes a new segment')")
    closed = close_segment()
    wait_until_archived(closed)
    path = f"{psql(HOST, 'SHOW data_directory')}/pg_wal/{closed}"
    # A fresh archiver that never saw the file: removed while no archiver runs, since the one
    # running may still write its marker (one fresh-clone run found it written again 0.1 s
    # after the removal, and the fresh archiver rightly answered from it).
    docker_exec(HOST, "systemctl", "stop", "dbaas-wal-archiver")
    docker_exec(HOST, "rm", f"{SPOOL}/{closed}.ok")  # as if it had not been archived yet
    docker_exec(HOST, "systemctl", "start", "dbaas-wal-archiver")
    deadline = time.monotonic() + 30
    while docker_exec(HOST, "test", "-f", f"{SPOOL}/heartbeat", check=False).returncode != 0:
        assert time.monotonic() < deadline, "the restarted archiver wrote no heartbeat"
        time.sleep(0.2)

    asked = docker_exec(HOST, "bash", "-c", f"cd / && exec dbaas-wal-archive {path}", user="postgres", check=False)

    assert asked.returncode == 0, asked.stderr
    assert "falls back" not in asked.stderr and "stopped" not in asked.stderr, asked.stderr
    # The archiver uploaded it, not barman-cloud-wal-archive: only the archiver writes the
    # marker, and the request counts as an upload not made ahead. Not "exactly one upload":
    # once the request names the data directory, the archiver may rightly upload ahead a
    # segment that archive_timeout closed meanwhile (a fresh-clone run counted 2).
    assert docker_exec(HOST, "test", "-f", f"{SPOOL}/{closed}.ok", check=False).returncode == 0
    deadline = time.monotonic() + 5  # the counters are written once a second
    while counts()["uploaded"] < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    served = counts()
    assert served["uploaded"] - served["uploaded_ahead"] >= 1, served


def test_a_request_answered_by_an_upload_ahead_is_taken_back():
    """The archiver's upload ahead can end between archive_command's first look (no marker
    yet) and its request: the archiver then removed a request not yet written. Played here
    by a stand-in archiver that answers the request only after it is written, as in that
    race; archive_command must take its request back, or it stays until the segment is
    recycled and reads as a file still waiting."""
    closed = close_segment()
    wait_until_archived(closed)
    identity = docker_exec(HOST, "cat", f"{SPOOL}/{closed}.ok").stdout.strip()
    name = "00000077000000000000002A"  # no such segment: only the markers are played with
    stand_in = (f"cd {SPOOL} && while [ ! -f {name}.want ]; do sleep 0.01; done && printf '%s\\n' \"$IDENTITY\" > {name}.ok")
    docker_exec(HOST, "systemctl", "stop", "dbaas-wal-archiver")
    try:
        docker_exec(HOST, "touch", f"{SPOOL}/heartbeat", user="postgres")  # "alive" for the next 10 s
        answering = subprocess.Popen(["docker", "exec", "-u", "postgres", "-e", f"IDENTITY={identity}", HOST,
                                      "bash", "-c", stand_in], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        asked = docker_exec(HOST, "bash", "-c", f"cd / && exec dbaas-wal-archive /nowhere/pg_wal/{name}",
                            user="postgres", check=False)
        assert answering.wait(timeout=30) == 0, answering.stdout.read()
        assert asked.returncode == 0, asked.stderr
        left = docker_exec(HOST, "bash", "-c", f"ls {SPOOL} | grep -c '^{name}.want' || true").stdout.strip()
        assert left == "0", f"{name}.want left in the spool"
    finally:
        docker_exec(HOST, "rm", "-f", f"{SPOOL}/{name}.ok", f"{SPOOL}/{name}.want")
        docker_exec(HOST, "systemctl", "start", "dbaas-wal-archiver")
