# -*- coding: utf-8 -*-
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ansible_collections.thalassa.dbaas.plugins.module_utils.health import attention_line, cluster_attention

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


def members(*rows):
    return [dict(zip(("member", "role", "state", "lag"), row)) for row in rows]


def healthy(**changes):
    summary = {
        "reachable": True,
        "expected_members": ["pg1", "pg2", "pg3"],
        "members": members(("pg1", "leader", "running", None), ("pg2", "sync_standby", "streaming", 0),
                           ("pg3", "replica", "streaming", 1024)),
        "backups": {
            "backups_configured": True,
            "store_error": None,
            "last_backup": {"backup_id": "b1", "end_time": (NOW - timedelta(days=2)).isoformat()},
            "archiver": {"last_archived_time": "2026-11-26 11:59:00+00", "last_failed_time": None,
                         "ready_count": 0, "oldest_ready_seconds": 0},
            "drills_configured": True,
            "drill": {"state": "passed"},
        },
        "offsite_copy": {"ok": True, "lag": {"missing": [], "lag_seconds": 0}},
    }
    summary.update(changes)
    return summary


def with_backups(**changes):
    return healthy(backups=dict(healthy()["backups"], **changes))


def levels(findings):
    return [(finding["level"], finding["subject"]) for finding in findings]


def test_a_healthy_cluster_needs_no_attention():
    findings = cluster_attention(healthy(), NOW)
    assert findings == []
    assert attention_line(findings) == "Attention: none"


def test_an_unreachable_cluster_is_red_and_says_only_that():
    assert levels(cluster_attention({"reachable": False}, NOW)) == [("red", "cluster")]


def test_no_leader_and_a_member_not_streaming_are_red():
    summary = healthy(members=members(("pg2", "replica", "running", 0), ("pg3", "replica", "stopped", "unknown")),
                      expected_members=["pg2", "pg3"])
    assert levels(cluster_attention(summary, NOW)) == [("red", "cluster"), ("red", "pg2"), ("red", "pg3")]


def test_an_endpoint_that_routes_writes_to_a_replica_is_red_among_the_rest():
    endpoints = {"enabled": True, "read_write_port": 5000, "read_only_port": 5001, "read_only_max_lag_bytes": 1048576,
                 "routes": {"pg3": {"reachable": True, "read_write": ["pg2"], "read_only": ["pg2", "pg3"]}}}
    findings = cluster_attention(healthy(endpoints=endpoints), NOW)
    assert levels(findings) == [("red", "pg3")]
    assert findings[0]["why"] == "port 5000 (read-write) routes to pg2, Patroni says pg1"


def test_a_host_missing_from_patronis_view_is_red():
    summary = healthy(expected_members=["pg1", "pg2", "pg3", "pg4"])
    findings = cluster_attention(summary, NOW)
    assert levels(findings) == [("red", "pg4")]
    assert "Patroni does not run" in findings[0]["why"]


def test_replica_lag_above_the_limit_or_unknown_is_yellow():
    summary = healthy(members=members(("pg1", "leader", "running", None), ("pg2", "replica", "streaming", 17 * 2**20),
                                      ("pg3", "replica", "streaming", "unknown")))
    assert levels(cluster_attention(summary, NOW)) == [("yellow", "pg2"), ("yellow", "pg3")]
    assert cluster_attention(summary, NOW, {"replica_lag_bytes": 32 * 2**20})[0]["subject"] == "pg3"


def test_a_backup_older_than_the_limit_is_red_and_one_just_inside_is_not():
    old = with_backups(last_backup={"backup_id": "b0", "end_time": (NOW - timedelta(days=8, seconds=1)).isoformat()})
    inside = with_backups(last_backup={"backup_id": "b0", "end_time": (NOW - timedelta(days=7, hours=23)).isoformat()})
    findings = cluster_attention(old, NOW)
    assert levels(findings) == [("red", "backups")]
    assert "no backup in 8 days" in findings[0]["why"]
    assert cluster_attention(inside, NOW) == []


def test_no_backup_at_all_or_an_unreadable_store_is_red():
    assert levels(cluster_attention(with_backups(last_backup=None), NOW)) == [("red", "backups")]
    unreadable = cluster_attention(with_backups(last_backup=None, store_error="AccessDenied"), NOW)
    assert [finding["why"] for finding in unreadable] == ["object store unreadable: AccessDenied"]


def test_a_store_that_does_not_answer_is_red_and_called_unreachable():
    frozen = with_backups(last_backup=None, store_error="no answer within 20 s", store_unreachable=True)
    findings = cluster_attention(frozen, NOW)
    assert levels(findings) == [("red", "backups")]
    assert findings[0]["why"] == "object store UNREACHABLE: no answer within 20 s"


def test_clusters_without_backups_configured_say_nothing_about_backups():
    assert cluster_attention(healthy(backups={"backups_configured": False}, offsite_copy={}), NOW) == []


def test_archiving_that_fails_after_its_last_success_is_red_and_an_old_failure_is_not():
    failing = {"last_archived_time": "2026-11-26 11:00:00+00", "last_failed_time": "2026-11-26 11:30:00+00",
               "last_failed_wal": "000000010000000000000009", "ready_count": 1, "oldest_ready_seconds": 30}
    recovered = dict(failing, last_archived_time="2026-11-26 11:40:00+00")
    assert levels(cluster_attention(with_backups(archiver=failing), NOW)) == [("red", "archiving")]
    assert cluster_attention(with_backups(archiver=recovered), NOW) == []


def test_a_backlog_waiting_longer_than_the_limit_is_yellow():
    waiting = {"last_archived_time": "2026-11-26 11:59:00+00", "ready_count": 12, "oldest_ready_seconds": 301}
    assert levels(cluster_attention(with_backups(archiver=waiting), NOW)) == [("yellow", "archiving")]
    assert cluster_attention(with_backups(archiver=dict(waiting, oldest_ready_seconds=300)), NOW) == []


def test_a_failed_or_overdue_drill_is_red_a_missing_one_yellow_and_none_when_drills_are_off():
    assert levels(cluster_attention(with_backups(drill={"state": "failed"}), NOW)) == [("red", "restore drill")]
    assert levels(cluster_attention(with_backups(drill={"state": "overdue"}), NOW)) == [("red", "restore drill")]
    assert levels(cluster_attention(with_backups(drill={"state": "never"}), NOW)) == [("yellow", "restore drill")]
    assert cluster_attention(with_backups(drill={"state": "never"}, drills_configured=False, last_drill=None), NOW) == []


def test_a_failing_copy_is_red_and_a_lagging_one_yellow_only_beyond_the_limit():
    assert levels(cluster_attention(healthy(offsite_copy={"ok": False, "error": "403"}), NOW)) == [("red", "off-site copy")]
    lagging = healthy(offsite_copy={"ok": True, "lag": {"missing": ["b2"], "lag_seconds": 3 * 86400}})
    assert levels(cluster_attention(lagging, NOW)) == [("yellow", "off-site copy")]
    assert cluster_attention(lagging, NOW, {"copy_lag_seconds": 4 * 86400}) == []


def test_red_comes_before_yellow_and_the_line_names_both():
    summary = healthy(members=members(("pg1", "leader", "running", None), ("pg2", "replica", "streaming", "unknown"),
                                      ("pg3", "replica", "stopped", None)))
    findings = cluster_attention(summary, NOW)
    assert levels(findings) == [("red", "pg3"), ("yellow", "pg2")]
    assert attention_line(findings).startswith("Attention: RED pg3: stopped, not streaming")
