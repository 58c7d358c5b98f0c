"""Retention on the lab: backups that fall outside the recovery window are deleted by the
retention service (barman-cloud-backup-delete), the newest stay, and what goes matches what
thalassa.dbaas.backup_info predicted beforehand.

Backups cannot be made old by waiting, so the test ages them: it rewrites the begin and end
times in the backup.info files of all but the newest backup in the store, which is all that
barman's recovery-window policy reads.
"""

from __future__ import annotations

import pytest

from datetime import datetime, timedelta, timezone

from conftest import archive_server, cluster_roles, docker_exec, status_json

pytestmark = pytest.mark.lane_demo

BUCKET = "demo-backups"
AGES_DAYS = [45, 40, 35, 20]  # the newest backup stays as it is, inside the 14-day window


def leader_of_demo() -> str:
    return next(name for name, role in cluster_roles("thalassa-lab-pg1").items() if role == "leader")


def server_prefix() -> str:
    """Where demo's backups and WAL go now: demo/<server name>/."""
    return f"demo/{archive_server(leader_of_demo())}/"


def done_backup_ids(s3) -> list[str]:
    base = server_prefix() + "base/"
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=base)
    ids = []
    for page in pages:
        for item in page.get("Contents", []):
            if item["Key"].endswith("/backup.info"):
                body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read().decode()
                if "\nstatus=DONE\n" in "\n" + body:
                    ids.append(item["Key"][len(base):].split("/")[0])
    return sorted(ids)


def age_backup(s3, backup_id: str, days: int) -> None:
    key = f"{server_prefix()}base/{backup_id}/backup.info"
    lines = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode().splitlines()
    moment = datetime.now(timezone.utc) - timedelta(days=days)
    aged = [
        f"{name}={moment.isoformat(sep=' ')}" if name in ("begin_time", "end_time") else line
        for line in lines
        for name in [line.partition("=")[0]]
    ]
    s3.put_object(Bucket=BUCKET, Key=key, Body=("\n".join(aged) + "\n").encode())


def wal_segments(s3) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=server_prefix() + "wals/")
    names = [item["Key"].rsplit("/", 1)[-1] for page in pages for item in page.get("Contents", [])]
    return sorted(name.split(".")[0] for name in names if len(name.split(".")[0]) == 24)


def test_retention_deletes_backups_outside_the_window_as_predicted_and_keeps_the_newest(lab_inventory, lab_s3):
    leader = leader_of_demo()
    while len(done_backup_ids(lab_s3)) < len(AGES_DAYS) + 1:
        docker_exec(leader, "/usr/local/bin/dbaas-backup", user="postgres")
    ids = done_backup_ids(lab_s3)
    to_age = ids[-len(AGES_DAYS) - 1:-1]
    for backup_id, days in zip(to_age, AGES_DAYS):
        age_backup(lab_s3, backup_id, days)

    listed = status_json(lab_inventory, "demo")["demo"]["backups"]["backups"]
    predicted = {item["backup_id"]: item["retention"] for item in listed}
    # 14-day window: the newest is inside, the one aged 20 days is the base of the window,
    # everything older is obsolete.
    assert [predicted[backup_id] for backup_id in to_age + ids[-1:]] == [
        "OBSOLETE", "OBSOLETE", "OBSOLETE", "VALID", "VALID"]
    assert all(predicted[backup_id] == "OBSOLETE" for backup_id in ids[:-len(AGES_DAYS) - 1])

    docker_exec(leader, "systemctl", "start", "dbaas-backup-retention.service")

    kept = [backup_id for backup_id in ids if predicted[backup_id] != "OBSOLETE"]
    assert done_backup_ids(lab_s3) == kept
    assert ids[-1] in kept
    for backup_id in set(ids) - set(kept):
        assert not lab_s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{server_prefix()}base/{backup_id}/").get("KeyCount")
    oldest_kept = next(item for item in listed if item["backup_id"] == kept[0])
    # On the oldest kept backup's timeline nothing older than its first segment is left.
    # (After a switchover, barman keeps the WAL of older timelines: they lead to the
    # history files that recovery reads.)
    timeline = oldest_kept["begin_wal"][:8]
    segments = [name for name in wal_segments(lab_s3) if name[:8] == timeline]
    assert segments and segments[0] == oldest_kept["begin_wal"], (segments[:3], oldest_kept["begin_wal"])


def test_retention_on_a_replica_does_nothing():
    leader = leader_of_demo()
    replica = next(name for name in ("thalassa-lab-pg1", "thalassa-lab-pg2", "thalassa-lab-pg3") if name != leader)
    docker_exec(replica, "systemctl", "start", "dbaas-backup-retention.service")
    journal = docker_exec(replica, "journalctl", "-u", "dbaas-backup-retention.service", "--no-pager", "-n", "5").stdout
    assert "not the leader: retention runs on the leader" in journal
