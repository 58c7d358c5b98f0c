from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from ansible_collections.thalassa.dbaas.plugins.module_utils import backup_replication as replication

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


def backup(days_ago: float, status: str = "DONE", server: str = "demo") -> dict:
    end = NOW - timedelta(days=days_ago)
    return {"server": server, "backup_id": end.strftime("%Y%m%dT%H%M%S"), "status": status, "end_time": end.isoformat()}


def ids(backups):
    return [item["backup_id"] for item in backups]


def deletions(source, copy, window=14, delay=7):
    return replication.copy_deletions(source, copy, window, delay, NOW)


def test_a_backup_still_in_the_source_never_leaves_the_copy_however_old():
    old = backup(400)
    plan = deletions([old, backup(1)], [old, backup(1)])
    assert plan["delete"] == [] and plan["held"] == []


def test_a_backup_retention_removed_leaves_the_copy_after_the_window_and_the_delay():
    removed, kept = backup(22), backup(1)
    plan = deletions([kept], [removed, kept])
    assert ids(plan["delete"]) == [removed["backup_id"]]


def test_a_backup_gone_from_the_source_inside_window_plus_delay_is_held_with_the_reason():
    vanished = backup(20)  # older than the 14-day window, younger than 14 + 7
    plan = deletions([backup(1)], [vanished, backup(1)])
    assert plan["delete"] == []
    assert ids(plan["held"]) == [vanished["backup_id"]]
    assert "21 days" in plan["held"][0]["reason"]


def test_the_horizon_is_exact_at_window_plus_delay():
    at_horizon, past_horizon = backup(21), backup(21 + 1 / 86400)
    plan = deletions([], [past_horizon, at_horizon, backup(1)])
    assert ids(plan["delete"]) == [past_horizon["backup_id"]]
    assert ids(plan["held"]) == [at_horizon["backup_id"], backup(1)["backup_id"]]


def test_a_source_emptied_at_once_empties_nothing_in_the_copy():
    copy = [backup(days) for days in (60, 45, 30, 7, 1)]
    plan = deletions([], copy)
    assert ids(plan["delete"]) == ids(copy[:3])
    assert ids(plan["held"]) == ids(copy[3:])


def test_the_copys_last_done_backup_stays_even_when_all_are_past_the_horizon():
    copy = [backup(90), backup(60), backup(40)]
    plan = deletions([], copy)
    assert ids(plan["delete"]) == ids(copy[:2])
    assert ids(plan["held"]) == [copy[2]["backup_id"]]
    assert "last DONE" in plan["held"][0]["reason"]


def test_failed_backups_past_the_horizon_go_without_counting_as_done():
    failed, done = backup(50, status="FAILED"), backup(40)
    plan = deletions([], [failed, done])
    assert ids(plan["delete"]) == [failed["backup_id"]]
    assert ids(plan["held"]) == [done["backup_id"]]


def test_each_server_name_keeps_its_own_last_backup():
    old_history = backup(90, server="demo")
    new_history = [backup(80, server="demo-20261101T000000"), backup(1, server="demo-20261101T000000")]
    plan = deletions(new_history[1:], [old_history] + new_history)
    assert ids(plan["delete"]) == [new_history[0]["backup_id"]]
    assert plan["held"][0]["server"] == "demo" and "last DONE" in plan["held"][0]["reason"]


def test_the_same_backup_id_under_another_server_is_another_backup():
    copy = [backup(40, server="demo"), backup(1, server="demo")]
    source = [dict(copy[0], server="other"), copy[1]]
    assert ids(deletions(source, copy)["delete"]) == [copy[0]["backup_id"]]


def test_a_backup_without_an_end_time_uses_its_begin_time():
    started = {"server": "demo", "backup_id": "20261001T000000", "status": "FAILED",
               "begin_time": (NOW - timedelta(days=50)).isoformat(), "end_time": None}
    assert ids(deletions([], [started, backup(1)])["delete"]) == ["20261001T000000"]


def test_no_lag_when_every_done_backup_is_in_the_copy():
    source = [backup(8), backup(1), backup(0, status="STARTED")]
    lag = replication.copy_lag(source, source[:2], NOW)
    assert lag["missing"] == [] and lag["lag_seconds"] == 0
    assert lag["newest_in_copy"] == "demo/" + source[1]["backup_id"]


def test_lag_is_the_age_of_the_oldest_done_backup_not_yet_copied():
    source = [backup(8), backup(2), backup(1)]
    lag = replication.copy_lag(source, source[:1], NOW)
    assert lag["missing"] == ["demo/" + source[1]["backup_id"], "demo/" + source[2]["backup_id"]]
    assert lag["lag_seconds"] == 2 * 86400
    assert lag["newest_in_copy"] == "demo/" + source[0]["backup_id"]


def test_a_backup_copied_while_it_was_running_still_counts_as_missing():
    done = backup(1)
    lag = replication.copy_lag([done], [dict(done, status="STARTED")], NOW)
    assert lag["missing"] == ["demo/" + done["backup_id"]]
    assert lag["newest_in_copy"] is None


def test_rclone_totals_come_from_the_last_stats_record():
    lines = [
        json.dumps({"level": "info", "msg": "Copied (new)", "object": "demo/wals/x"}),
        json.dumps({"level": "info", "msg": "stats", "stats": {"transfers": 1, "bytes": 10, "checks": 0, "errors": 0}}),
        "not json",
        json.dumps({"level": "info", "msg": "stats", "stats": {"transfers": 3, "bytes": 2048, "checks": 5, "errors": 0}}),
    ]
    assert replication.rclone_totals(lines) == {"objects": 3, "bytes": 2048, "checks": 5, "errors": 0}


def test_rclone_totals_are_zero_without_a_stats_record():
    assert replication.rclone_totals([]) == {"objects": 0, "bytes": 0, "checks": 0, "errors": 0}
