# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn Patroni's /cluster answer into status rows and a printable table, and a cluster's
backup and off-site copy summary into the lines under it. Pure logic."""

from __future__ import annotations

from ansible_collections.thalassa.dbaas.plugins.module_utils.health import archiver_failing
from ansible_collections.thalassa.dbaas.plugins.module_utils.restore_leftovers import human_bytes

COLUMNS = [
    ("member", "Member"),
    ("az", "AZ"),
    ("role", "Role"),
    ("state", "State"),
    ("timeline", "TL"),
    ("lag", "Lag (bytes)"),
]


def _lag(member: dict) -> int | str | None:
    """Replay lag in bytes for replicas; None for the leader."""
    if member.get("role") == "leader":
        return None
    for key in ("replay_lag", "lag"):
        if key in member:
            return member[key]
    return "unknown"


def member_rows(cluster: dict) -> list[dict]:
    """One row per member, leader first, then by name."""
    rows = [
        {
            "member": member.get("name"),
            "az": (member.get("tags") or {}).get("az", ""),
            "role": member.get("role"),
            "state": member.get("state"),
            "timeline": member.get("timeline"),
            "lag": _lag(member),
            "host": member.get("host"),
        }
        for member in cluster.get("members", [])
    ]
    return sorted(rows, key=lambda row: (row["role"] != "leader", row["member"] or ""))


def _cell(value) -> str:
    return "-" if value is None else str(value)


def render_table(cluster_name: str, rows: list[dict]) -> list[str]:
    """A fixed-width table, one string per line, headed by the cluster name."""
    titles = [title for key, title in COLUMNS]
    keys = [key for key, title in COLUMNS]
    cells = [titles] + [[_cell(row[key]) for key in keys] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]

    def line(values: list[str]) -> str:
        return "| " + " | ".join(value.ljust(width) for value, width in zip(values, widths)) + " |"

    rule = "+-" + "-+-".join("-" * width for width in widths) + "-+"
    return ["Cluster %s" % cluster_name, rule, line(cells[0]), rule] + [line(values) for values in cells[1:]] + [rule]


def _last_backup_line(backup: dict) -> str:
    last = backup.get("last_backup")
    if last:
        return "Last backup: %s (%s), %s done in the store, recoverable from %s" % (
            last.get("backup_id"), last.get("end_time"), backup.get("backup_count"),
            (backup.get("recovery_window") or {}).get("recoverable_from"))
    if backup.get("store_error"):
        return "Last backup: OBJECT STORE %s: %s" % (
            "UNREACHABLE" if backup.get("store_unreachable") else "UNREADABLE", backup["store_error"])
    return "Last backup: %s" % ("none" if backup.get("backups_configured") else "backups not configured")


def _archiver_lines(archiver: dict) -> list[str]:
    waiting = int(archiver.get("ready_count") or 0)
    lines = [
        "WAL archived up to: %s at %s" % (archiver.get("last_archived_wal") or "nothing yet", archiver.get("last_archived_time") or "-"),
        "Archive backlog: %s WAL files waiting%s" % (
            archiver.get("ready_count"), ", the oldest for %s s" % archiver.get("oldest_ready_seconds") if waiting > 0 else ""),
    ]
    if archiver_failing(archiver):
        lines.append("ARCHIVING FAILS: %s failures, the last for %s at %s (see journalctl -u dbaas-wal-archiver and -u patroni "
                     "on the leader)" % (archiver.get("failed_count"), archiver.get("last_failed_wal"), archiver.get("last_failed_time")))
    else:
        lines.append("Archive failures: %s (none since the last success)" % archiver.get("failed_count"))
    return lines


def backup_lines(backup: dict) -> list[str]:
    """The leader's view of backups, archiving and drills (status.yml's summary); none without one."""
    if not backup:
        return []
    lines = [_last_backup_line(backup)] + _archiver_lines(backup.get("archiver") or {})
    drill = backup.get("drill") or {}
    if "says" in drill and (backup.get("drills_configured") or backup.get("last_drill")):
        lines.append(drill["says"])
    elif backup.get("backups_configured"):
        lines.append("Restore drills: not configured (set restore_drill_host to a host of dbaas_drill_hosts)")
    return lines


def copy_lines(copy: dict) -> list[str]:
    """The off-site copy's newest outcome (dbaas-backup-replication.json); none without one."""
    if not copy:
        return []
    if not copy.get("ok"):
        return ["OFF-SITE COPY FAILS since %s (last success: %s): %s" % (
            copy.get("started_at"), copy.get("last_success_at") or "never", copy.get("error"))]
    lag = copy.get("lag") or {}
    missing = lag.get("missing") or []
    return ["Off-site copy: last copied at %s to %s (%s objects that run); newest backup in the copy: %s; %s" % (
        copy.get("last_success_at"), copy.get("copy_store"), copy.get("copied_objects"), lag.get("newest_in_copy") or "none",
        "lag: none" if not missing else "LAGS: %d backups not copied yet, the oldest ended %s s ago" % (
            len(missing), lag.get("lag_seconds")))]


def previous_copy_lines(copies: list[dict]) -> list[str]:
    """The data directories in-place restores kept (restore_keep_previous), per member; none without any."""
    if not copies:
        return []
    return ["Data directories kept from before restores: %s" % ", ".join(
        "%s:%s (%s)" % (copy["member"], copy["path"], human_bytes(copy.get("bytes"))) for copy in copies)]
