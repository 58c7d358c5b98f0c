"""An object store that refuses the cluster's credentials stops archiving: status says so
from pg_stat_archiver, and once the credentials are right again the segment that failed
reaches the store (a delay, never a gap)."""

from __future__ import annotations

import pytest

import subprocess
import time

from conftest import archive_server, docker_exec, psql, run_playbook, status_json

pytestmark = pytest.mark.lane_solo

HOST = "thalassa-lab-pg4"  # the single member of cluster solo
CREDENTIALS = "/etc/barman-cloud/credentials"


def archiver() -> dict:
    row = psql(HOST, "SELECT failed_count, coalesce(last_failed_wal, ''), coalesce(last_archived_wal, '') FROM pg_stat_archiver")
    failed, last_failed, last_archived = row.split("|")
    return {"failed_count": int(failed), "last_failed_wal": last_failed, "last_archived_wal": last_archived}


def put_file(path: str, content: str) -> None:
    """Writes content over path on HOST, keeping the file's owner and mode."""
    subprocess.run(["docker", "exec", "-i", HOST, "sh", "-c", f"cat > {path}"], input=content, text=True, check=True)


def wait_for(what, condition, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = archiver()
        if condition(state):
            return state
        time.sleep(2)
    raise AssertionError(f"timed out waiting for {what}: {archiver()}")


def test_refused_credentials_show_as_archive_failures_and_lose_nothing(lab_inventory, lab_s3):
    good = docker_exec(HOST, "cat", CREDENTIALS).stdout
    failures_before = archiver()["failed_count"]
    docker_exec(HOST, "sed", "-i", "s/^aws_secret_access_key *=.*/aws_secret_access_key = revoked/", CREDENTIALS)
    try:
        psql(HOST, "CREATE TABLE IF NOT EXISTS archive_failure_probe (at timestamptz); INSERT INTO archive_failure_probe VALUES (now())")
        segment = psql(HOST, "SELECT pg_walfile_name(pg_switch_wal())")
        wait_for("an archive failure", lambda state: state["failed_count"] > failures_before)

        shown = status_json(lab_inventory, "solo")["solo"]
        assert any(finding["level"] == "red" and finding["subject"] == "archiving" for finding in shown["attention"]), shown
        assert shown["worst"] == "red"
        solo = shown["backups"]["archiver"]
        assert solo["failed_count"] > failures_before
        assert solo["last_failed_wal"] == segment
        assert solo["last_failed_time"] > (solo["last_archived_time"] or "")
        assert solo["ready_count"] >= 1  # the segment waits in pg_wal: a delay, not a gap
        table = run_playbook("status", lab_inventory, "--limit", "solo")
        assert f"ARCHIVING FAILS: {solo['failed_count']} failures, the last for {segment}" in table.output, table.output
        assert "WAL files waiting, the oldest for" in table.output, table.output
    finally:
        put_file(CREDENTIALS, good)

    # PostgreSQL's archiver, after three failures in a row, tries again after a minute or as
    # soon as another segment is ready, whichever comes first: here the next segment.
    psql(HOST, "INSERT INTO archive_failure_probe VALUES (now()); SELECT pg_switch_wal()")
    wait_for(f"{segment} archived", lambda state: state["last_archived_wal"] >= segment)
    stored = lab_s3.list_objects_v2(Bucket="solo-backups", Prefix=f"solo/{archive_server(HOST)}/wals/{segment[:16]}/{segment}")
    assert stored.get("KeyCount", 0) >= 1
