# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The off-site copy of a cluster's backups: what it may delete, and how far it lags.

The copy itself only ever adds and updates objects (rclone copy). A backup leaves the copy
only when it is gone from the source AND it ended more than the retention window plus a
delay ago: that is a backup the source's retention removed, at least the delay ago. A
backup that vanished from the source inside that span (a mistake, a bad script, an
attacker with the DBaaS key) stays in the copy, and so does the copy's newest DONE backup
whatever happens at the source. So a source emptied at once empties nothing in the copy.

Pure logic, no network; backups are described as backup_catalog.describe_backup does, plus
the server name they belong to. No imports from the collection: the replication script on
the hosts loads this file beside backup_catalog.py.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

DONE = "DONE"


def _key(backup: dict) -> tuple:
    return (backup["server"], backup["backup_id"])


def _ended(backup: dict) -> datetime | None:
    text = backup.get("end_time") or backup.get("begin_time")
    return datetime.fromisoformat(text) if text else None


def deletion_horizon(now: datetime, window_days: int, delay_days: int) -> datetime:
    """A backup gone from the source that ended before this may leave the copy."""
    return now - timedelta(days=window_days + delay_days)


def copy_deletions(source: list[dict], copy: list[dict], window_days: int, delay_days: int, now: datetime,
                   minimum_redundancy: int = 1) -> dict:
    """{'delete': [backup...], 'held': [backup + 'reason'...]} for the copy, oldest first.

    held lists the backups that are gone from the source but stay in the copy, with why.
    """
    in_source = {_key(backup) for backup in source}
    horizon = deletion_horizon(now, window_days, delay_days)
    delete, held = [], []
    for server in sorted({backup["server"] for backup in copy}):
        backups = sorted((backup for backup in copy if backup["server"] == server), key=lambda item: item["backup_id"])
        done_left = sum(1 for backup in backups if backup["status"] == DONE)
        for backup in backups:
            if _key(backup) in in_source:
                continue
            ended = _ended(backup)
            is_done = backup["status"] == DONE
            if ended is None or ended >= horizon:
                held.append(dict(backup, reason="gone from the source but ended less than %d days ago "
                                                "(retention window %d + delay %d): kept"
                                                % (window_days + delay_days, window_days, delay_days)))
            elif is_done and done_left <= minimum_redundancy:
                held.append(dict(backup, reason="the copy's last DONE backup of %s: kept" % server))
            else:
                delete.append(backup)
                done_left -= 1 if is_done else 0
    return {"delete": delete, "held": held, "horizon": horizon.isoformat()}


def copy_lag(source: list[dict], copy: list[dict], now: datetime) -> dict:
    """How far the copy is behind: DONE source backups it does not hold (or holds in another
    state), the newest DONE backup it holds, and the age of the oldest missing one."""
    copied_done = {_key(backup) for backup in copy if backup["status"] == DONE}
    missing = sorted((backup for backup in source if backup["status"] == DONE and _key(backup) not in copied_done),
                     key=lambda item: (item.get("end_time") or "", item["backup_id"]))
    done_in_copy = sorted((backup for backup in copy if backup["status"] == DONE),
                          key=lambda item: (item.get("end_time") or "", item["backup_id"]))
    oldest_missing_end = _ended(missing[0]) if missing else None
    return {
        "missing": ["%s/%s" % _key(backup) for backup in missing],
        "newest_in_copy": ("%s/%s" % _key(done_in_copy[-1])) if done_in_copy else None,
        "newest_in_copy_end": done_in_copy[-1].get("end_time") if done_in_copy else None,
        "lag_seconds": max(0, int((now - oldest_missing_end).total_seconds())) if oldest_missing_end else 0,
    }


def rclone_totals(log_lines: list[str]) -> dict:
    """Objects and bytes transferred, from the last stats record of `rclone --use-json-log`."""
    totals = {"objects": 0, "bytes": 0, "checks": 0, "errors": 0}
    for line in log_lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        stats = record.get("stats") if isinstance(record, dict) else None
        if isinstance(stats, dict):
            totals = {
                "objects": int(stats.get("transfers", 0)),
                "bytes": int(stats.get("bytes", 0)),
                "checks": int(stats.get("checks", 0)),
                "errors": int(stats.get("errors", 0)),
            }
    return totals
