# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What in a cluster's status needs attention, red or yellow. Pure logic.

Red: data is at risk or the service is degraded now (no leader, a member that does not
stream, an endpoint that routes writes elsewhere than to the leader, archiving failing, no backup for longer than the limit, a drill failed or older
than two periods, a failing off-site copy). Yellow: something drifts and will be red if
nobody looks (replica lag, an archive backlog that waits, no drill yet, a copy lagging)."""

from __future__ import annotations

from datetime import datetime

from ansible_collections.thalassa.dbaas.plugins.module_utils.endpoints import route_findings, virtual_ip_findings
from ansible_collections.thalassa.dbaas.plugins.module_utils.findings import RED, YELLOW, finding

DEFAULT_LIMITS = {
    "backup_max_age_days": 8,
    "replica_lag_bytes": 16 * 1024 * 1024,
    "archive_backlog_seconds": 300,
    "copy_lag_seconds": 2 * 86400,
}


def member_findings(members: list[dict], expected: list[str], replica_lag_bytes: int) -> list[dict]:
    """No leader, members missing from Patroni's view, replicas not streaming or lagging."""
    findings = []
    leaders = [m for m in members if m.get("role") == "leader"]
    if not leaders:
        findings.append(finding(RED, "cluster", "no leader: writes fail (failover.yml forces one)"))
    seen = {m.get("member") for m in members}
    for host in sorted(set(expected) - seen):
        findings.append(finding(RED, host, "not in the cluster: its Patroni does not run or cannot reach etcd"))
    for member in members:
        if member.get("role") == "leader":
            if member.get("state") != "running":
                findings.append(finding(RED, member.get("member"), "leads but is %s" % member.get("state")))
            continue
        name = member.get("member")
        if member.get("state") != "streaming":
            findings.append(finding(RED, name, "%s, not streaming (rejoin.yml brings it back)" % member.get("state")))
        elif not isinstance(member.get("lag"), int):
            findings.append(finding(YELLOW, name, "replication lag unknown"))
        elif member["lag"] > replica_lag_bytes:
            findings.append(finding(YELLOW, name, "lags %d bytes behind the leader (limit %d)" % (member["lag"], replica_lag_bytes)))
    return findings


def archiver_failing(archiver: dict) -> bool:
    """The last attempt to archive failed: pg_stat_archiver's last failure is newer than its last success."""
    failed = archiver.get("last_failed_time")
    return bool(failed) and failed > (archiver.get("last_archived_time") or "")


def backup_findings(backups: dict, now: datetime, limits: dict) -> list[dict]:
    """Store unreadable, no backup or too old a one, archiving failing or waiting, drills."""
    if not backups or not backups.get("backups_configured"):
        return []
    findings = []
    last = backups.get("last_backup")
    if backups.get("store_error"):
        findings.append(finding(RED, "backups", "object store %s: %s" % (
            "UNREACHABLE" if backups.get("store_unreachable") else "unreadable", backups["store_error"])))
    elif not last:
        findings.append(finding(RED, "backups", "no backup in the store (backup.yml takes one now)"))
    else:
        age_days = (now - datetime.fromisoformat(last["end_time"])).total_seconds() / 86400
        if age_days > limits["backup_max_age_days"]:
            findings.append(finding(RED, "backups", "no backup in %d days: the last ended %s (backup.yml takes one now)"
                                    % (limits["backup_max_age_days"], last["end_time"])))
    archiver = backups.get("archiver") or {}
    if archiver_failing(archiver):
        findings.append(finding(RED, "archiving", "failing since %s for %s" % (archiver.get("last_failed_time"), archiver.get("last_failed_wal"))))
    waiting = int(archiver.get("oldest_ready_seconds") or 0)
    if int(archiver.get("ready_count") or 0) > 0 and waiting > limits["archive_backlog_seconds"]:
        findings.append(finding(YELLOW, "archiving", "%s WAL files wait, the oldest for %d s" % (archiver["ready_count"], waiting)))
    drill_state = (backups.get("drill") or {}).get("state")
    if backups.get("drills_configured") or backups.get("last_drill"):
        if drill_state == "failed":
            findings.append(finding(RED, "restore drill", "the last drill failed"))
        elif drill_state == "overdue":
            findings.append(finding(RED, "restore drill", "the last passed more than two periods ago"))
        elif drill_state == "never":
            findings.append(finding(YELLOW, "restore drill", "none yet"))
    return findings


def copy_findings(copy: dict, copy_lag_seconds: int) -> list[dict]:
    """The off-site copy failing, or lagging longer than the limit."""
    if not copy:
        return []
    if not copy.get("ok"):
        return [finding(RED, "off-site copy", "failing: %s" % copy.get("error"))]
    lag = copy.get("lag") or {}
    if lag.get("missing") and (lag.get("lag_seconds") or 0) > copy_lag_seconds:
        return [finding(YELLOW, "off-site copy", "%d backups not copied, the oldest ended %d s ago"
                        % (len(lag["missing"]), lag["lag_seconds"]))]
    return []


def cluster_attention(summary: dict, now: datetime, limits: dict | None = None) -> list[dict]:
    """Every finding for one cluster's status summary, red first."""
    limits = dict(DEFAULT_LIMITS, **(limits or {}))
    if not summary.get("reachable"):
        return [finding(RED, "cluster", "no member's Patroni answered")]
    members = summary.get("members") or []
    findings = (member_findings(members, summary.get("expected_members") or [], limits["replica_lag_bytes"])
                + route_findings(summary.get("endpoints") or {}, members)
                + virtual_ip_findings(summary.get("endpoints") or {}, members)
                + backup_findings(summary.get("backups") or {}, now, limits)
                + copy_findings(summary.get("offsite_copy") or {}, limits["copy_lag_seconds"]))
    return sorted(findings, key=lambda finding: finding["level"] != RED)


def attention_line(findings: list[dict]) -> str:
    """One line for the table: what to look at, or that nothing needs it."""
    if not findings:
        return "Attention: none"
    return "Attention: " + "; ".join("%s %s: %s" % (f["level"].upper(), f["subject"], f["why"]) for f in findings)
