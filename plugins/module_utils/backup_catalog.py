# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a barman-cloud store holds for one server: its backups (read from the backup.info
files barman-cloud writes), the recovery window they cover, and which of them a
recovery-window retention policy keeps.

Pure logic, no network. The retention rules are those of barman's
RecoveryWindowRetentionPolicy, so that what this predicts is what
barman-cloud-backup-delete --retention-policy "RECOVERY WINDOW OF N DAYS" deletes.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

DONE = "DONE"
VALID = "VALID"
OBSOLETE = "OBSOLETE"
POTENTIALLY_OBSOLETE = "POTENTIALLY_OBSOLETE"
NONE = "NONE"
KEPT = (VALID, POTENTIALLY_OBSOLETE)

WAL_SEGMENT = re.compile(r"^[0-9A-F]{24}(\.[a-z0-9]+)?$")


def server_prefix(prefix: str, server_name: str) -> str:
    prefix = prefix.strip("/")
    return "%s%s/" % (prefix + "/" if prefix else "", server_name)


def base_prefix(prefix: str, server_name: str) -> str:
    return server_prefix(prefix, server_name) + "base/"


def wals_prefix(prefix: str, server_name: str) -> str:
    return server_prefix(prefix, server_name) + "wals/"


def backup_id_of(key: str, base: str) -> str | None:
    """'<base><id>/anything' -> '<id>'; None for keys outside a backup directory."""
    if not key.startswith(base):
        return None
    backup_id, separator, _rest = key[len(base):].partition("/")
    return backup_id if separator and backup_id else None


def parse_backup_info(text: str) -> dict:
    """barman's backup.info: one key=value per line; the text None means no value."""
    info = {}
    for line in text.splitlines():
        key, separator, value = line.partition("=")
        if separator and key.strip():
            info[key.strip()] = None if value == "None" else value
    return info


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text not in (None, "") else None


def describe_backup(backup_id: str, info: dict, stored_bytes: int) -> dict:
    """One backup as this collection reports it."""
    return {
        "backup_id": backup_id,
        "name": info.get("backup_name") or None,
        "status": info.get("status") or "UNKNOWN",
        "begin_time": info.get("begin_time"),
        "end_time": info.get("end_time"),
        "begin_wal": info.get("begin_wal"),
        "end_wal": info.get("end_wal"),
        "begin_lsn": info.get("begin_xlog"),
        "end_lsn": info.get("end_xlog"),
        "timeline": _int_or_none(info.get("timeline")),
        "system_identifier": info.get("systemid"),
        "stored_bytes": stored_bytes,
        "cluster_bytes": _int_or_none(info.get("cluster_size")),
        "error": info.get("error"),
    }


def point_of_recoverability(now: datetime, window_days: int) -> datetime:
    """The oldest moment a recovery window of window_days must still reach."""
    return now - timedelta(days=window_days)


def retention_report(backups: list[dict], window_days: int, now: datetime, minimum_redundancy: int = 1) -> dict:
    """backup_id -> VALID | POTENTIALLY_OBSOLETE | OBSOLETE | NONE, as barman decides.

    Going from the newest backup back: every DONE backup is VALID up to and including the
    first that ended before the point of recoverability (it is the base from which the
    window's first moment is reached). Older DONE backups are OBSOLETE, unless fewer than
    minimum_redundancy backups were kept so far (then POTENTIALLY_OBSOLETE, and kept).
    Backups that are not DONE are NONE: retention leaves them alone.
    """
    point = point_of_recoverability(now, window_days)
    report = {}
    found_base_of_window = False
    kept = 0
    for backup in sorted(backups, key=lambda item: item["backup_id"], reverse=True):
        backup_id = backup["backup_id"]
        if backup["status"] != DONE:
            report[backup_id] = NONE
        elif not found_base_of_window:
            report[backup_id] = VALID
            kept += 1
            found_base_of_window = parse_time(backup["end_time"]) < point
        elif kept < minimum_redundancy:
            report[backup_id] = POTENTIALLY_OBSOLETE
            kept += 1
        else:
            report[backup_id] = OBSOLETE
    return report


def newest_wal_key(keys: list[str]) -> str | None:
    """The newest WAL segment among keys of one wals/ directory (names sort in time order)."""
    segments = [key for key in keys if WAL_SEGMENT.match(key.rsplit("/", 1)[-1])]
    return max(segments, key=lambda key: key.rsplit("/", 1)[-1]) if segments else None


def wal_name(key: str) -> str:
    return key.rsplit("/", 1)[-1].split(".", 1)[0]


def recovery_window(backups: list[dict], newest_wal: str | None, newest_wal_time: str | None) -> dict:
    """What a restore can reach: from the end of the oldest DONE backup to the newest WAL
    segment in the store (None when there is no DONE backup to start from)."""
    done = sorted((backup for backup in backups if backup["status"] == DONE), key=lambda item: item["backup_id"])
    return {
        "recoverable_from": done[0]["end_time"] if done else None,
        "newest_wal": newest_wal,
        "newest_wal_time": newest_wal_time,
        "backups_done": len(done),
    }
