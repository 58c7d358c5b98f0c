from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.thalassa.dbaas.plugins.module_utils import backup_catalog as catalog

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)

BACKUP_INFO = """backup_label='START WAL LOCATION: 0/3000028 (file 000000010000000000000003)\\nLABEL: x\\n'
backup_name=initial
begin_time=2026-11-25 18:00:46.433298+00:00
begin_wal=000000010000000000000003
begin_xlog=0/3000028
children_backup_ids=None
cluster_size=23158473
end_time=2026-11-25 18:00:51.127353+00:00
end_wal=000000010000000000000003
end_xlog=0/3000100
error=None
status=DONE
systemid=7712170340360734021
timeline=1
"""


def backup(days_ago: float, status: str = "DONE") -> dict:
    """A backup that ended days_ago before NOW, with an id that sorts like barman's."""
    end = NOW - timedelta(days=days_ago)
    return {"backup_id": end.strftime("%Y%m%dT%H%M%S"), "status": status, "end_time": end.isoformat()}


def report(backups, days=14, minimum_redundancy=1):
    by_id = catalog.retention_report(backups, days, NOW, minimum_redundancy)
    return [by_id[item["backup_id"]] for item in backups]


def test_backup_info_is_parsed_and_described():
    info = catalog.parse_backup_info(BACKUP_INFO)
    described = catalog.describe_backup("20261125T180046", info, 3111334)
    assert described == {
        "backup_id": "20261125T180046",
        "name": "initial",
        "status": "DONE",
        "begin_time": "2026-11-25 18:00:46.433298+00:00",
        "end_time": "2026-11-25 18:00:51.127353+00:00",
        "begin_wal": "000000010000000000000003",
        "end_wal": "000000010000000000000003",
        "begin_lsn": "0/3000028",
        "end_lsn": "0/3000100",
        "timeline": 1,
        "system_identifier": "7712170340360734021",
        "stored_bytes": 3111334,
        "cluster_bytes": 23158473,
        "error": None,
    }
    assert info["backup_label"].startswith("'START WAL LOCATION")


def test_unnamed_backup_has_no_name():
    assert catalog.describe_backup("x", {"status": "DONE", "backup_name": None}, 0)["name"] is None


def test_backup_ids_come_from_keys_under_base_only():
    base = catalog.base_prefix("demo/", "demo")
    assert base == "demo/demo/base/"
    assert catalog.backup_id_of("demo/demo/base/20261125T180046/backup.info", base) == "20261125T180046"
    assert catalog.backup_id_of("demo/demo/base/20261125T180046/data.tar.gz", base) == "20261125T180046"
    assert catalog.backup_id_of("demo/demo/wals/0000000100000000/x.gz", base) is None
    assert catalog.backup_id_of("demo/demo/base/stray", base) is None
    assert catalog.base_prefix("", "solo") == "solo/base/"


def test_all_backups_inside_the_window_are_kept():
    assert report([backup(10), backup(5), backup(1)]) == ["VALID"] * 3


def test_the_newest_backup_older_than_the_window_is_kept_as_its_base():
    # To recover to NOW - 14 days the backup that ended before that moment is needed.
    assert report([backup(30), backup(20), backup(15), backup(7), backup(1)]) == [
        "OBSOLETE", "OBSOLETE", "VALID", "VALID", "VALID"]


def test_window_boundary_is_exclusive():
    # A backup that ended exactly at the point of recoverability does not start the window.
    assert report([backup(20), backup(14), backup(1)]) == ["VALID", "VALID", "VALID"]
    assert report([backup(20), backup(14.001), backup(1)]) == ["OBSOLETE", "VALID", "VALID"]


def test_when_every_backup_is_old_the_newest_stays():
    assert report([backup(40), backup(35), backup(31)]) == ["OBSOLETE", "OBSOLETE", "VALID"]


def test_minimum_redundancy_keeps_more_than_the_window_needs():
    assert report([backup(40), backup(35), backup(31)], minimum_redundancy=2) == [
        "OBSOLETE", "POTENTIALLY_OBSOLETE", "VALID"]


def test_backups_that_are_not_done_are_left_alone_and_do_not_count():
    assert report([backup(30, "FAILED"), backup(20), backup(16, "STARTED"), backup(15)]) == [
        "NONE", "OBSOLETE", "NONE", "VALID"]


def test_thirty_day_window():
    assert report([backup(40), backup(31), backup(29)], days=30) == ["OBSOLETE", "VALID", "VALID"]


@pytest.mark.parametrize("keys, expected", [
    ([], None),
    (["p/wals/0000000100000000/000000010000000000000003.gz",
      "p/wals/0000000100000000/000000010000000000000003.00000028.backup.gz",
      "p/wals/0000000100000000/00000001000000000000000A.gz",
      "p/wals/0000000100000000/000000010000000000000009"], "p/wals/0000000100000000/00000001000000000000000A.gz"),
    (["p/wals/0000000200000000/00000002.history.gz"], None),
])
def test_newest_wal_segment(keys, expected):
    assert catalog.newest_wal_key(keys) == expected


def test_recovery_window_starts_at_the_end_of_the_oldest_done_backup():
    backups = [backup(20, "FAILED"), backup(10), backup(3)]
    window = catalog.recovery_window(backups, "00000001000000000000000A", "2026-11-25T11:59:00+00:00")
    assert window == {
        "recoverable_from": backups[1]["end_time"],
        "newest_wal": "00000001000000000000000A",
        "newest_wal_time": "2026-11-25T11:59:00+00:00",
        "backups_done": 2,
    }
    assert catalog.recovery_window([backup(1, "FAILED")], None, None)["recoverable_from"] is None
