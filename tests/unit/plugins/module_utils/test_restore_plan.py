from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ansible_collections.thalassa.dbaas.plugins.module_utils import restore_plan as plan
from ansible_collections.thalassa.dbaas.plugins.module_utils.restore_plan import PlanError


def backup(backup_id, end_time, end_lsn, status="DONE", timeline=1, begin_wal="000000010000000000000003"):
    return {
        "backup_id": backup_id, "status": status, "end_time": end_time, "end_lsn": end_lsn,
        "timeline": timeline, "begin_wal": begin_wal,
    }


BACKUPS = [
    backup("20261101T000000", "2026-11-01 00:10:00+00:00", "0/5000100", begin_wal="000000010000000000000005"),
    backup("20261108T000000", "2026-11-08 00:10:00+00:00", "0/9000100", begin_wal="000000010000000000000009"),
    backup("20261112T000000", "2026-11-12 00:10:00+00:00", "0/B000100", status="FAILED"),
    backup("20261115T000000", "2026-11-15 00:10:00+00:00", "0/D000100", begin_wal="00000002000000000000000D", timeline=2),
    backup("20261120T000000", None, None, status="STARTED"),
]
NEWEST_WAL = "00000002000000000000000F"
NEWEST_WAL_TIME = "2026-11-20 12:00:00+00:00"


def choose(kind, value, **resolved):
    return plan.choose_backup(BACKUPS, kind, value, NEWEST_WAL, NEWEST_WAL_TIME, **resolved)


def at(text):
    return datetime.fromisoformat(text)


@pytest.mark.parametrize("text", ["", "3000028", "0/", "0/XYZ", "123456789/0"])
def test_a_bad_lsn_target_is_refused_with_how_to_write_one(text):
    with pytest.raises(PlanError, match="is not an LSN: write it as PostgreSQL does"):
        plan.parse_lsn(text)


@pytest.mark.parametrize("targets, expected", [
    ({"time": "2026-11-25T18:00:00+00:00"}, ("time", datetime(2026, 11, 25, 18, tzinfo=timezone.utc))),
    ({"time": "2026-11-25T18:00:00Z"}, ("time", datetime(2026, 11, 25, 18, tzinfo=timezone.utc))),
    ({"lsn": "0/3000028"}, ("lsn", 0x3000028)),
    ({"xid": "1234"}, ("xid", 1234)),
    ({"name": "before-upgrade"}, ("name", "before-upgrade")),
    ({"latest": True}, ("latest", True)),
    ({"time": "", "lsn": None, "latest": True}, ("latest", True)),
])
def test_one_target_is_parsed(targets, expected):
    assert plan.parse_target(targets) == expected


@pytest.mark.parametrize("targets, message", [
    ({}, "got none"),
    ({"time": "2026-11-25T18:00:00+00:00", "lsn": "0/1"}, "got time, lsn"),
    ({"time": "2026-11-25T18:00:00"}, "has no time zone"),
    ({"time": "yesterday"}, "is not an ISO 8601 time"),
    ({"xid": "0"}, "is not a transaction ID"),
    ({"xid": "12a"}, "is not a transaction ID"),
    ({"name": "bad name; drop"}, "is not a restore point name"),
])
def test_bad_targets_are_refused(targets, message):
    with pytest.raises(PlanError, match=message):
        plan.parse_target(targets)


def test_time_target_takes_the_newest_backup_that_ended_before_it():
    chosen = choose("time", at("2026-11-10T00:00:00+00:00"))
    assert chosen["backup_id"] == "20261108T000000"
    assert chosen["wal_from"] == "000000010000000000000009"
    assert "ended at or before 2026-11-10T00:00:00+00:00" in chosen["why"]


def test_time_target_exactly_at_a_backup_end_may_use_that_backup():
    assert choose("time", at("2026-11-08T00:10:00+00:00"))["backup_id"] == "20261108T000000"
    assert choose("time", at("2026-11-08T00:09:59+00:00"))["backup_id"] == "20261101T000000"


def test_failed_and_unfinished_backups_are_never_chosen():
    # The FAILED backup ended (by its info) before the target, yet the older DONE one is used.
    assert choose("time", at("2026-11-13T00:00:00+00:00"))["backup_id"] == "20261108T000000"
    assert choose("latest", True)["backup_id"] == "20261115T000000"


def test_a_backup_on_a_newer_timeline_is_chosen_for_a_target_after_it():
    chosen = choose("time", at("2026-11-16T00:00:00+00:00"))
    assert (chosen["backup_id"], chosen["timeline"]) == ("20261115T000000", 2)


def test_lsn_target_takes_the_newest_backup_that_ended_at_or_before_it():
    assert choose("lsn", plan.parse_lsn("0/9000100"))["backup_id"] == "20261108T000000"
    assert choose("lsn", plan.parse_lsn("0/90000FF"))["backup_id"] == "20261101T000000"
    assert choose("lsn", plan.parse_lsn("0/E000000"))["wal_to"] == "00000002000000000000000E"


def test_targets_outside_the_window_are_refused_with_the_window():
    with pytest.raises(PlanError, match=r"before the earliest restorable point: the store can restore from "
                                        r"2026-11-01 00:10:00\+00:00 \(LSN 0/5000100\) to 2026-11-20 12:00:00\+00:00"):
        choose("time", at("2026-11-01T00:00:00+00:00"))
    with pytest.raises(PlanError, match="after the newest archived WAL"):
        choose("time", at("2026-11-20T12:00:01+00:00"))
    with pytest.raises(PlanError, match="before the earliest restorable point"):
        choose("lsn", plan.parse_lsn("0/5000000"))
    with pytest.raises(PlanError, match=r"Target LSN 0/10000000 is after the newest archived WAL"):
        choose("lsn", plan.parse_lsn("0/10000000"))


def test_xid_and_name_use_their_resolved_position_or_else_the_oldest_backup():
    assert choose("xid", 1234)["backup_id"] == "20261101T000000"
    assert "only the oldest backup is sure" in choose("name", "before-upgrade")["why"]
    assert "restore_allow_unplaced_target=true" in choose("name", "before-upgrade")["why"]
    assert choose("xid", 1234, resolved_time=at("2026-11-10T00:00:00+00:00"))["backup_id"] == "20261108T000000"
    assert choose("name", "x", resolved_lsn=plan.parse_lsn("0/D000200"))["backup_id"] == "20261115T000000"
    with pytest.raises(PlanError, match="before the earliest restorable point"):
        choose("xid", 5, resolved_time=at("2026-10-01T00:00:00+00:00"))


def test_an_xid_that_committed_right_after_a_backup_ended_starts_from_an_older_one():
    """Commit time and backup end may come from different clocks: a margin keeps a backup
    that might already hold the transaction out of the choice."""
    just_after = choose("xid", 77, resolved_time=at("2026-11-08T00:10:00.500000+00:00"))
    assert just_after["backup_id"] == "20261101T000000"
    later = choose("xid", 77, resolved_time=at("2026-11-08T00:10:01+00:00"))
    assert later["backup_id"] == "20261108T000000" and "committed" in later["why"]


def test_a_store_without_a_done_backup_or_wal_is_refused():
    with pytest.raises(PlanError, match="no DONE backup"):
        plan.choose_backup([BACKUPS[2]], "latest", True, NEWEST_WAL, NEWEST_WAL_TIME)
    with pytest.raises(PlanError, match="no archived WAL"):
        plan.choose_backup(BACKUPS, "latest", True, None, None)


def test_plan_reports_the_window_and_target():
    chosen = choose("lsn", plan.parse_lsn("0/9000200"))
    assert chosen["target"] == "0/9000200"
    assert chosen["window"] == {
        "from_time": "2026-11-01 00:10:00+00:00", "from_lsn": "0/5000100",
        "until_time": NEWEST_WAL_TIME, "until_lsn": "0/10000000", "newest_wal": NEWEST_WAL,
    }


def test_a_name_without_a_record_is_refused_with_the_names_that_exist():
    with pytest.raises(PlanError, match=r"No restore point named 'never-made' .*recorded: before-upgrade, nightly\)"):
        plan.check_target_is_placed("name", "never-made", restore_points=["nightly", "before-upgrade"])
    with pytest.raises(PlanError, match=r"recorded: none\).*restore_allow_unplaced_target=true"):
        plan.check_target_is_placed("name", "never-made")
    plan.check_target_is_placed("name", "never-made", allow_unplaced=True)
    plan.check_target_is_placed("name", "nightly", resolved_lsn=plan.parse_lsn("0/D000200"))


@pytest.mark.parametrize("status", ["aborted", "in progress", "future"])
def test_an_xid_that_never_committed_is_refused_even_when_the_loss_is_accepted(status):
    for allow in (False, True):
        with pytest.raises(PlanError, match="Transaction 77 never committed .*%s" % status):
            plan.check_target_is_placed("xid", 77, xid_status=status, allow_unplaced=allow)


@pytest.mark.parametrize("status", ["committed", "unknown"])
def test_an_xid_without_a_commit_time_is_refused_unless_accepted(status):
    with pytest.raises(PlanError, match="Transaction 77 cannot be placed .*restore_allow_unplaced_target=true"):
        plan.check_target_is_placed("xid", 77, xid_status=status)
    plan.check_target_is_placed("xid", 77, xid_status=status, allow_unplaced=True)
    plan.check_target_is_placed("xid", 77, resolved_time=at("2026-11-10T00:00:00+00:00"), xid_status="committed")


def test_targets_with_a_position_of_their_own_need_no_check():
    for kind, value in (("time", at("2026-11-10T00:00:00+00:00")), ("lsn", 1), ("latest", True)):
        plan.check_target_is_placed(kind, value)
