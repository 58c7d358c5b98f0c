# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a point-in-time restore starts, and whether it can reach its target at all.

Given the backups in a store (as backup_catalog describes them), the newest WAL segment
there, and one recovery target, choose the base backup to restore and the WAL range to
replay, or refuse with the restorable window. Pure logic, no network.

The rule: the newest DONE backup that ended at or before the target (by time for time
targets, by LSN for LSN targets); PostgreSQL cannot stop before the point at which the
backup became consistent, so an older end is required, never a newer one. XIDs and
restore point names carry no position of their own: the caller resolves them to a
commit time or an LSN (track_commit_timestamp on the leader, the restore point record).
A target that cannot be placed is refused (check_target_is_placed): recovery towards a
point that is not in the WAL fails only at the end of the archive, after the cluster was
taken down. Only when the operator accepts that does the plan fall back to the oldest
backup, which reaches any later target.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from ansible_collections.thalassa.dbaas.plugins.module_utils import wal_position
from ansible_collections.thalassa.dbaas.plugins.module_utils.backup_catalog import DONE, parse_time

TARGET_KINDS = ("time", "lsn", "xid", "name", "latest")
# A transaction's commit timestamp and a backup's end time may come from different hosts'
# clocks (a switchover in between): a backup must end this long before the commit to be
# sure it does not contain it already.
XID_CLOCK_MARGIN = timedelta(seconds=1)
RESTORE_POINT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$")


# What the leader's pg_xact_status() says of a transaction ("future": not yet assigned;
# "unknown": too old to say, another history, or no leader to ask).
XID_STATES = ("committed", "aborted", "in progress", "future", "unknown")
ALLOW_UNPLACED = "restore_allow_unplaced_target=true"


class PlanError(ValueError):
    """The target is invalid or cannot be reached; the message says what to do."""


def parse_lsn(text: str) -> int:
    try:
        return wal_position.parse_lsn(text)
    except ValueError:
        raise PlanError("%r is not an LSN: write it as PostgreSQL does, e.g. 0/3000028." % text)


format_lsn = wal_position.format_lsn
segment_name = wal_position.segment_name
segment_end_lsn = wal_position.segment_end_lsn


def parse_target(targets: dict) -> tuple[str, object]:
    """{'time': ..., 'lsn': ..., 'xid': ..., 'name': ..., 'latest': bool} -> (kind, value).

    Exactly one must be given. Times need a time zone; a restore to a time in an unstated
    zone could stop hours away from what was meant.
    """
    given = [kind for kind in TARGET_KINDS if targets.get(kind) not in (None, "", False)]
    if len(given) != 1:
        raise PlanError(
            "Give exactly one recovery target: restore_target_time, restore_target_lsn, restore_target_xid, "
            "restore_target_name or restore_target=latest (got %s)." % (", ".join(given) or "none")
        )
    kind = given[0]
    value = targets[kind]
    if kind == "time":
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise PlanError("restore_target_time %r is not an ISO 8601 time, e.g. 2026-11-25T18:00:00+00:00." % value)
        if moment.tzinfo is None:
            raise PlanError("restore_target_time %r has no time zone: add one, e.g. +00:00 or Z." % value)
        return kind, moment
    if kind == "lsn":
        return kind, parse_lsn(str(value))
    if kind == "xid":
        if not re.match(r"^[1-9][0-9]*$", str(value)):
            raise PlanError("restore_target_xid %r is not a transaction ID (a positive integer)." % value)
        return kind, int(value)
    if kind == "name":
        if not RESTORE_POINT_NAME.match(str(value)):
            raise PlanError("restore_target_name %r is not a restore point name (letters, digits, _ . : -)." % value)
        return kind, str(value)
    return "latest", True


def check_target_is_placed(kind: str, value, resolved_time: datetime | None = None, resolved_lsn: int | None = None,
                           xid_status: str = "unknown", restore_points: list[str] | tuple = (),
                           allow_unplaced: bool = False) -> None:
    """Refuse an xid or restore point name whose position is unknown (PlanError).

    A transaction that never committed can never be reached; one whose commit time is
    unknown, and a name without a record, may not be in the WAL at all. allow_unplaced is
    the operator's explicit acceptance of the second kind (never of the first).
    """
    if kind == "xid":
        if xid_status in ("aborted", "in progress", "future"):
            raise PlanError(
                "Transaction %s never committed (the leader's pg_xact_status: %s): recovery could never reach it. "
                "Pick a transaction that committed, or a time or LSN target." % (value, xid_status))
        if resolved_time is None and not allow_unplaced:
            raise PlanError(
                "Transaction %s cannot be placed in the restorable window: its commit time is not known (the leader's "
                "pg_xact_status: %s; it is asked only when the cluster runs on the history that holds the transaction "
                "and track_commit_timestamp is on). Give its commit time as restore_target_time, or its LSN, or set %s "
                "to restore from the oldest backup and accept that the restore fails at the end of the archive "
                "if the transaction is not in it." % (value, xid_status, ALLOW_UNPLACED))
    if kind == "name" and resolved_lsn is None and not allow_unplaced:
        raise PlanError(
            "No restore point named %r is recorded in the store (restore points recorded: %s). Restore points are made "
            "and recorded by playbooks/restore_point.yml; for one made by hand with pg_create_restore_point(), set %s "
            "to restore from the oldest backup." % (value, ", ".join(sorted(restore_points)) or "none", ALLOW_UNPLACED))


def _done(backups: list[dict]) -> list[dict]:
    return sorted((item for item in backups if item["status"] == DONE), key=lambda item: item["backup_id"])


def restorable_window(backups: list[dict], newest_wal: str | None, newest_wal_time: str | None) -> dict:
    done = _done(backups)
    return {
        "from_time": done[0]["end_time"] if done else None,
        "from_lsn": done[0]["end_lsn"] if done else None,
        "until_time": newest_wal_time,
        "until_lsn": format_lsn(segment_end_lsn(newest_wal)) if newest_wal else None,
        "newest_wal": newest_wal,
    }


def _describe_window(window: dict) -> str:
    return "the store can restore from %s (LSN %s) to %s (LSN %s, WAL %s)" % (
        window["from_time"], window["from_lsn"], window["until_time"], window["until_lsn"], window["newest_wal"])


def choose_backup(backups: list[dict], kind: str, value, newest_wal: str | None, newest_wal_time: str | None,
                  resolved_time: datetime | None = None, resolved_lsn: int | None = None) -> dict:
    """The restore plan for one target, or PlanError with the restorable window.

    resolved_time / resolved_lsn: where an xid committed or a restore point was made, when
    the caller could find out; they narrow the choice of backup exactly as a time or LSN
    target would.
    """
    done = _done(backups)
    window = restorable_window(backups, newest_wal, newest_wal_time)
    if not done:
        raise PlanError("The store holds no DONE backup to restore from: take one first (playbooks/backup.yml).")
    if newest_wal is None:
        raise PlanError("The store holds no archived WAL: nothing can be replayed.")

    by_time = value if kind == "time" else resolved_time
    by_lsn = value if kind == "lsn" else resolved_lsn
    if by_time is not None:
        if by_time < parse_time(done[0]["end_time"]):
            raise PlanError("Target %s is before the earliest restorable point: %s." % (by_time.isoformat(), _describe_window(window)))
        if newest_wal_time is None or by_time > parse_time(newest_wal_time):
            raise PlanError(
                "Target %s is after the newest archived WAL: %s. Transactions after that may not be in the store yet; "
                "switch WAL on the source cluster (pg_switch_wal) and retry, or pick an earlier target."
                % (by_time.isoformat(), _describe_window(window))
            )
        if kind == "xid":
            latest_end = by_time - XID_CLOCK_MARGIN
            candidates = [item for item in done if parse_time(item["end_time"]) <= latest_end] or done[:1]
            why = ("the newest DONE backup that ended at least %d s before transaction %s committed (%s)"
                   % (XID_CLOCK_MARGIN.total_seconds(), value, by_time.isoformat()))
        else:
            candidates = [item for item in done if parse_time(item["end_time"]) <= by_time]
            why = "the newest DONE backup that ended at or before %s" % by_time.isoformat()
    elif by_lsn is not None:
        if by_lsn < parse_lsn(done[0]["end_lsn"]):
            raise PlanError("Target LSN %s is before the earliest restorable point: %s." % (format_lsn(by_lsn), _describe_window(window)))
        if by_lsn >= segment_end_lsn(newest_wal):
            raise PlanError("Target LSN %s is after the newest archived WAL: %s." % (format_lsn(by_lsn), _describe_window(window)))
        candidates = [item for item in done if parse_lsn(item["end_lsn"]) <= by_lsn]
        why = "the newest DONE backup that ended at or before LSN %s" % format_lsn(by_lsn)
    elif kind == "latest":
        candidates = done
        why = "the newest DONE backup; recovery replays every archived WAL segment"
    else:
        candidates = done[:1]
        why = ("the oldest DONE backup: the %s target has no known position (accepted with %s), and only the "
               "oldest backup is sure to precede it" % (kind, ALLOW_UNPLACED))

    chosen = candidates[-1]
    return {
        "target_kind": kind,
        "target": _describe_target(kind, value),
        "backup_id": chosen["backup_id"],
        "backup_end_time": chosen["end_time"],
        "backup_end_lsn": chosen["end_lsn"],
        "backup_cluster_bytes": chosen.get("cluster_bytes"),
        "timeline": chosen["timeline"],
        "system_identifier": chosen.get("system_identifier"),
        "wal_from": chosen["begin_wal"],
        "wal_to": segment_name_at_most(chosen, by_lsn, newest_wal),
        "why": "Backup %s: %s." % (chosen["backup_id"], why),
        "window": window,
    }


def _describe_target(kind: str, value) -> str:
    if kind == "time":
        return value.isoformat()
    if kind == "lsn":
        return format_lsn(value)
    return "latest WAL" if kind == "latest" else str(value)


def segment_name_at_most(backup: dict, target_lsn: int | None, newest_wal: str) -> str:
    """The last WAL segment recovery may need: the one holding the target LSN, else the newest."""
    if target_lsn is None:
        return newest_wal
    return min(segment_name(int(newest_wal[:8], 16), target_lsn), newest_wal, key=lambda name: name[8:])
