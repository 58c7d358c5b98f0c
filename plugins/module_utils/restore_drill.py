# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restore drills: which backup a drill restores, whether recovery reached the point the
store promised when the drill started, where its record goes, and how status judges the
last record.

Pure logic, no network. The drill script on the drill host loads this file from beside
it, with backup_catalog.py, wal_archive.py and wal_position.py.
"""

from __future__ import annotations

from datetime import datetime

try:
    from ansible_collections.thalassa.dbaas.plugins.module_utils.wal_position import parse_lsn, segment_start_lsn
except ImportError:  # on the drill host, beside the drill script
    from wal_position import parse_lsn, segment_start_lsn  # pylint: disable=import-error

DONE = "DONE"

PASSED = "passed"
FAILED = "failed"
OVERDUE = "overdue"
NEVER = "never"


def newest_done_backup(backups: list[dict]) -> dict | None:
    done = [backup for backup in backups if backup["status"] == DONE]
    return max(done, key=lambda backup: backup["backup_id"]) if done else None


def reached_expected_point(restored_lsn: str | None, newest_wal_at_start: str | None) -> tuple[bool, str]:
    """Recovery to latest must replay into the newest WAL segment that was in the store when
    the drill started: stopping earlier means a WAL segment it needed was missing or unreadable."""
    if not newest_wal_at_start:
        return True, "the store held no WAL segment beyond the backup when the drill started"
    if not restored_lsn:
        return False, "recovery reported no replayed position"
    expected = segment_start_lsn(newest_wal_at_start)
    if parse_lsn(restored_lsn) >= expected:
        return True, "recovery replayed into %s, the newest WAL segment in the store at the start" % newest_wal_at_start
    return False, ("recovery stopped at %s, before %s, the newest WAL segment in the store when the drill "
                   "started: a segment in between is missing or unreadable" % (restored_lsn, newest_wal_at_start))


def record_key(prefix: str, server_name: str, drill_id: str) -> str:
    """Beside barman's tree, like the owner records: thalassa-dbaas/<server>/drills/<id>.json."""
    prefix = prefix.strip("/")
    return "%sthalassa-dbaas/%s/drills/%s.json" % (prefix + "/" if prefix else "", server_name, drill_id)


def records_prefix(prefix: str, server_name: str) -> str:
    return record_key(prefix, server_name, "")[:-len(".json")]


def newest_record_key(keys: list[str]) -> str | None:
    """Drill ids are UTC timestamps (YYYYmmddTHHMMSS), so the largest name is the newest."""
    records = [key for key in keys if key.endswith(".json")]
    return max(records, key=lambda key: key.rsplit("/", 1)[-1]) if records else None


def verdict(record: dict | None, now: datetime, period_days: int) -> dict:
    """How status shows the last drill: passed, failed, overdue (older than two periods) or never."""
    if not record:
        return {"state": NEVER, "age_seconds": None,
                "says": "RESTORE DRILL: none yet (run restore_drill.yml, or wait for dbaas-restore-drill@ timer)"}
    finished = datetime.fromisoformat(record["finished_at"])
    age = max(0, int((now - finished).total_seconds()))
    when = "%s (%s ago)" % (record["finished_at"], _age_text(age))
    if not record.get("ok"):
        problems = record.get("problems") or ["no reason recorded"]
        return {"state": FAILED, "age_seconds": age,
                "says": "RESTORE DRILL FAILED at %s, backup %s: %s" % (when, record.get("backup_id"), "; ".join(problems[:3]))}
    if age > 2 * period_days * 86400:
        return {"state": OVERDUE, "age_seconds": age,
                "says": "RESTORE DRILL OVERDUE: the last passed at %s, more than two periods of %d days ago" % (when, period_days)}
    durations = record.get("seconds", {})
    return {"state": PASSED, "age_seconds": age,
            "says": "Restore drill: passed at %s, backup %s restored to %s; download %s s, replay %s s, checks %s s"
                    % (when, record.get("backup_id"), record.get("restored_time") or record.get("restored_lsn"),
                       durations.get("download"), durations.get("replay"), durations.get("checks"))}


def _age_text(seconds: int) -> str:
    if seconds < 3600:
        return "%d min" % (seconds // 60)
    if seconds < 2 * 86400:
        return "%d h" % (seconds // 3600)
    return "%d days" % (seconds // 86400)
