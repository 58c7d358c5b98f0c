from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ansible_collections.thalassa.dbaas.plugins.module_utils import restore_drill as drill

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


def record(ok=True, days_ago=1.0, **extra):
    finished = NOW - timedelta(days=days_ago)
    return dict({"ok": ok, "finished_at": finished.isoformat(), "backup_id": "20261125T000000",
                 "restored_time": "2026-11-25 23:59:00+00", "seconds": {"download": 3.1, "replay": 4.2, "checks": 1.5},
                 "problems": [] if ok else ["bt_index_check(public.t_pkey): index is corrupt"]}, **extra)


def test_the_newest_done_backup_is_drilled_never_one_that_failed_or_runs():
    backups = [{"backup_id": "20261120T000000", "status": "DONE"}, {"backup_id": "20261124T000000", "status": "DONE"},
               {"backup_id": "20261125T000000", "status": "FAILED"}, {"backup_id": "20261126T000000", "status": "STARTED"}]
    assert drill.newest_done_backup(backups)["backup_id"] == "20261124T000000"
    assert drill.newest_done_backup([{"backup_id": "x", "status": "FAILED"}]) is None


def test_recovery_that_replayed_into_the_newest_segment_reached_the_expected_point():
    ok, why = drill.reached_expected_point("0/3000148", "000000010000000000000003")
    assert ok and "000000010000000000000003" in why
    assert drill.reached_expected_point("0/4000000", "000000010000000000000003")[0]


def test_recovery_that_stopped_before_the_newest_segment_says_a_segment_is_missing():
    ok, why = drill.reached_expected_point("0/2FFFFF8", "000000010000000000000003")
    assert not ok
    assert "stopped at 0/2FFFFF8, before 000000010000000000000003" in why and "missing or unreadable" in why


def test_without_wal_in_the_store_any_consistent_point_will_do_but_no_position_will_not():
    assert drill.reached_expected_point("0/3000148", None)[0]
    assert not drill.reached_expected_point(None, "000000010000000000000003")[0]


def test_records_live_beside_the_owner_records_and_the_newest_is_the_largest_id():
    key = drill.record_key("demo", "demo-20261101T000000", "20261126T040000")
    assert key == "demo/thalassa-dbaas/demo-20261101T000000/drills/20261126T040000.json"
    assert drill.records_prefix("demo/", "demo") == "demo/thalassa-dbaas/demo/drills/"
    keys = ["p/thalassa-dbaas/s/drills/20261119T040000.json", "p/thalassa-dbaas/s/drills/20261126T040000.json",
            "p/thalassa-dbaas/s/drills/notes.txt"]
    assert drill.newest_record_key(keys) == keys[1]
    assert drill.newest_record_key([]) is None


def test_a_recent_passed_drill_shows_its_backup_point_and_durations():
    shown = drill.verdict(record(), NOW, 7)
    assert shown["state"] == drill.PASSED and shown["age_seconds"] == 86400
    assert "passed at" in shown["says"] and "backup 20261125T000000" in shown["says"]
    assert "download 3.1 s, replay 4.2 s, checks 1.5 s" in shown["says"]


def test_a_failed_drill_is_red_whatever_its_age_and_says_why():
    shown = drill.verdict(record(ok=False, days_ago=0.01), NOW, 7)
    assert shown["state"] == drill.FAILED
    assert shown["says"].startswith("RESTORE DRILL FAILED") and "index is corrupt" in shown["says"]


def test_a_passed_drill_older_than_two_periods_is_overdue():
    assert drill.verdict(record(days_ago=14), NOW, 7)["state"] == drill.PASSED
    shown = drill.verdict(record(days_ago=14.01), NOW, 7)
    assert shown["state"] == drill.OVERDUE and "RESTORE DRILL OVERDUE" in shown["says"]
    assert drill.verdict(record(days_ago=3), NOW, 1)["state"] == drill.OVERDUE


def test_no_drill_yet_says_how_to_run_one():
    shown = drill.verdict(None, NOW, 7)
    assert shown["state"] == drill.NEVER and "restore_drill.yml" in shown["says"]
