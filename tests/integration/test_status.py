"""status.yml shows every cluster of the inventory, as a table and as JSON."""

from __future__ import annotations

import pytest

import subprocess
import time

from conftest import run_playbook, status_json

pytestmark = pytest.mark.whole_lab

LAB_STORE = "thalassa-lab-s3"


def test_status_json_shows_each_cluster_with_its_own_members(lab_inventory):
    clusters = status_json(lab_inventory)
    assert sorted(clusters) == ["demo", "solo"]

    demo = clusters["demo"]["members"]
    assert demo[0]["role"] == "leader"
    # synchronous mode is the default for 3 members (the lab does not set it): one of the two is the sync standby
    assert sorted(member["role"] for member in demo[1:]) == ["replica", "sync_standby"]
    assert sorted(member["az"] for member in demo) == ["az1", "az2", "az3"]
    assert all(member["state"] == "streaming" for member in demo[1:])
    assert len({member["timeline"] for member in demo}) == 1
    assert all(isinstance(member["lag"], int) for member in demo[1:])

    backups = clusters["demo"]["backups"]
    assert backups["backups_configured"] is True
    assert backups["last_backup"]["status"] == "DONE" and int(backups["backup_count"]) >= 1
    assert backups["archiver"]["last_archived_wal"].startswith("0000000")
    listed = backups["backups"]
    assert listed[-1] == backups["last_backup"]
    assert {"backup_id", "name", "status", "begin_time", "end_time", "begin_wal", "end_wal",
            "begin_lsn", "end_lsn", "stored_bytes", "retention"} <= set(listed[-1])
    assert listed[-1]["stored_bytes"] > 0 and listed[-1]["retention"] == "VALID"
    window = backups["recovery_window"]
    assert window["recoverable_from"] == min(
        (item for item in listed if item["status"] == "DONE"), key=lambda item: item["backup_id"])["end_time"]
    assert window["newest_wal"] >= listed[-1]["end_wal"]

    # Each cluster's virtual IP is on its leader alone (keepalived follows Patroni's /primary).
    assert clusters["demo"]["endpoints"]["virtual_ip_holders"] == [demo[0]["member"]]
    assert clusters["solo"]["endpoints"]["virtual_ip_holders"] == ["thalassa-lab-pg4"]
    assert {"virtual_ip", "haproxy_read_write"} <= set(clusters["solo"]["connection_strings"])

    solo = clusters["solo"]["members"]
    assert [(member["member"], member["role"], member["state"]) for member in solo] == [
        ("thalassa-lab-pg4", "leader", "running")
    ]


def test_status_table_lists_member_az_role_state_timeline_and_lag(lab_inventory):
    run = run_playbook("status", lab_inventory)
    assert run.rc == 0, run.output
    headers = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in run.output.splitlines()
        if line.strip().startswith("| Member")
    ]
    assert headers == [["Member", "AZ", "Role", "State", "TL", "Lag (bytes)"]] * 2
    assert "Cluster demo" in run.output and "Cluster solo" in run.output
    assert run.output.count("Last backup: 2") == 2  # a backup id, for each cluster
    assert run.output.count("WAL archived up to: 0000000") == 2
    assert "ARCHIVING FAILS" not in run.output
    for member in ("thalassa-lab-pg1", "thalassa-lab-pg2", "thalassa-lab-pg3", "thalassa-lab-pg4"):
        assert f"| {member} |" in run.output


def test_status_answers_while_the_store_is_frozen_and_calls_it_unreachable(lab_inventory):
    """docker pause: the store accepts connections (the kernel does) and never answers. Status
    gives up after status_object_store_timeout_seconds x 2 attempts per cluster instead of
    botocore's 60 s x 6; the bound below only tells "answered" from "hung" (that took minutes)."""
    subprocess.run(["docker", "pause", LAB_STORE], check=True)
    try:
        started = time.monotonic()
        run = run_playbook("status", lab_inventory, "-e", "status_object_store_timeout_seconds=3")
        seconds = time.monotonic() - started
    finally:
        subprocess.run(["docker", "unpause", LAB_STORE], check=True)
    assert run.rc == 0, run.output
    assert run.output.count("Last backup: OBJECT STORE UNREACHABLE: The object store at") == 2, run.output
    assert "did not answer" in run.output and "within 12 s (2 attempts" in run.output
    assert run.output.count("RED backups: object store UNREACHABLE") == 2, run.output
    assert seconds < 120, seconds
    # Once the store answers again, so does status.
    assert "UNREACHABLE" not in run_playbook("status", lab_inventory).output
