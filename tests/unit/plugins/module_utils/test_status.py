# -*- coding: utf-8 -*-
from __future__ import annotations

from ansible_collections.thalassa.dbaas.plugins.module_utils import status
from ansible_collections.thalassa.dbaas.plugins.module_utils.status import member_rows, render_table

PATRONI_CLUSTER = {
    "members": [
        {"name": "pg2", "role": "replica", "state": "streaming", "timeline": 3, "lag": 16, "tags": {"az": "az2"}, "host": "10.0.0.2"},
        {"name": "pg3", "role": "replica", "state": "streaming", "timeline": 3, "receive_lag": 0, "replay_lag": 42, "lag": 0, "tags": {"az": "az3"}},
        {"name": "pg1", "role": "leader", "state": "running", "timeline": 3, "tags": {"az": "az1"}},
        {"name": "pg4", "role": "replica", "state": "stopped", "tags": {}},
    ]
}


def test_rows_put_the_leader_first_then_members_by_name():
    assert [row["member"] for row in member_rows(PATRONI_CLUSTER)] == ["pg1", "pg2", "pg3", "pg4"]


def test_rows_carry_az_from_patroni_tags_and_timeline():
    rows = {row["member"]: row for row in member_rows(PATRONI_CLUSTER)}
    assert rows["pg2"]["az"] == "az2"
    assert rows["pg4"]["az"] == ""
    assert rows["pg1"]["timeline"] == 3


def test_lag_is_replay_lag_when_patroni_gives_it_and_none_for_the_leader():
    rows = {row["member"]: row for row in member_rows(PATRONI_CLUSTER)}
    assert rows["pg1"]["lag"] is None
    assert rows["pg2"]["lag"] == 16
    assert rows["pg3"]["lag"] == 42
    assert rows["pg4"]["lag"] == "unknown"


def test_table_aligns_columns_and_marks_missing_values():
    table = render_table("demo", member_rows(PATRONI_CLUSTER))
    assert table[0] == "Cluster demo"
    assert table[2].split("|")[1].strip() == "Member"
    assert len({len(line) for line in table[1:]}) == 1
    leader_line = table[4]
    assert [cell.strip() for cell in leader_line.strip("|").split("|")] == ["pg1", "az1", "leader", "running", "3", "-"]


def test_empty_cluster_renders_header_only():
    assert len(render_table("empty", member_rows({"members": []}))) == 5


ARCHIVER = {"last_archived_wal": "000000010000000000000007", "last_archived_time": "2026-11-26 10:00:00+00",
            "failed_count": 0, "last_failed_wal": None, "last_failed_time": None, "ready_count": 0, "oldest_ready_seconds": None}


def summary(**changes):
    backups = {"archiver": dict(ARCHIVER), "backups_configured": True, "store_error": None, "backup_count": 2,
               "last_backup": {"backup_id": "20261126T091500", "end_time": "2026-11-26 09:15:31+00:00"},
               "recovery_window": {"recoverable_from": "2026-11-19 09:15:31+00:00"},
               "drill": {"says": "Restore drill: passed"}, "last_drill": None, "drills_configured": True}
    backups.update(changes)
    return backups


def test_backup_lines_say_the_last_backup_archiving_and_the_drill():
    assert status.backup_lines(summary()) == [
        "Last backup: 20261126T091500 (2026-11-26 09:15:31+00:00), 2 done in the store, recoverable from 2026-11-19 09:15:31+00:00",
        "WAL archived up to: 000000010000000000000007 at 2026-11-26 10:00:00+00",
        "Archive backlog: 0 WAL files waiting",
        "Archive failures: 0 (none since the last success)",
        "Restore drill: passed",
    ]


def test_failing_archiving_is_said_in_capitals_with_where_to_look():
    failing = dict(ARCHIVER, failed_count=3, last_failed_wal="000000010000000000000008",
                   last_failed_time="2026-11-26 10:01:00+00", ready_count=2, oldest_ready_seconds=75)
    lines = status.backup_lines(summary(archiver=failing))
    assert "Archive backlog: 2 WAL files waiting, the oldest for 75 s" in lines
    assert ("ARCHIVING FAILS: 3 failures, the last for 000000010000000000000008 at 2026-11-26 10:01:00+00 "
            "(see journalctl -u dbaas-wal-archiver and -u patroni on the leader)") in lines
    recovered = dict(failing, last_archived_time="2026-11-26 10:02:00+00")
    assert "Archive failures: 3 (none since the last success)" in status.backup_lines(summary(archiver=recovered))


def test_no_backup_an_unreadable_store_and_no_drill_host():
    assert status.backup_lines(summary(last_backup=None, drills_configured=False))[::4] == [
        "Last backup: none", "Restore drills: not configured (set restore_drill_host to a host of dbaas_drill_hosts)"]
    assert status.backup_lines(summary(last_backup=None, store_error="AccessDenied"))[0] == (
        "Last backup: OBJECT STORE UNREADABLE: AccessDenied")
    assert status.backup_lines(summary(last_backup=None, store_error="no answer", store_unreachable=True))[0] == (
        "Last backup: OBJECT STORE UNREACHABLE: no answer")
    unconfigured = status.backup_lines(summary(last_backup=None, backups_configured=False, drills_configured=False))
    assert unconfigured[0] == "Last backup: backups not configured" and len(unconfigured) == 4
    assert status.backup_lines({}) == []


def test_copy_lines_say_the_lag_or_the_failure():
    copied = {"ok": True, "last_success_at": "2026-11-26 10:05", "copy_store": "s3://offsite/solo", "copied_objects": 12,
              "lag": {"missing": [], "newest_in_copy": "20261126T091500", "lag_seconds": 0}}
    assert status.copy_lines(copied) == [
        "Off-site copy: last copied at 2026-11-26 10:05 to s3://offsite/solo (12 objects that run); "
        "newest backup in the copy: 20261126T091500; lag: none"]
    lagging = dict(copied, lag={"missing": ["a", "b"], "newest_in_copy": None, "lag_seconds": 7200})
    assert status.copy_lines(lagging)[0].endswith("newest backup in the copy: none; LAGS: 2 backups not copied yet, "
                                                  "the oldest ended 7200 s ago")
    failed = {"ok": False, "started_at": "2026-11-26 10:05", "last_success_at": None, "error": "AccessDenied"}
    assert status.copy_lines(failed) == ["OFF-SITE COPY FAILS since 2026-11-26 10:05 (last success: never): AccessDenied"]
    assert status.copy_lines({}) == []


def test_previous_copy_lines_name_each_kept_data_directory_and_its_size():
    copies = [{"member": "pg1", "path": "/var/lib/postgresql/15/main.before-restore-20261202T090000", "bytes": 46137344}]
    assert status.previous_copy_lines(copies) == [
        "Data directories kept from before restores: pg1:/var/lib/postgresql/15/main.before-restore-20261202T090000 (44.0 MiB)"]
    assert status.previous_copy_lines([]) == []
