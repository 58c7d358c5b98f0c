"""Restore drills on the lab's drill host (in no cluster): a drill after a backup and some
writes passes, shows in status, and leaves the cluster and its archive as they were; a
damaged backup fails the drill with its name, and status shows it red."""

from __future__ import annotations

import pytest

import json
import re

from conftest import archive_server, docker_exec, psql, run_playbook, status_json

pytestmark = pytest.mark.lane_solo

SOLO = "thalassa-lab-pg4"
DRILL_HOST = "thalassa-lab-drill"
BUCKET = "solo-backups"


def take_backup() -> str:
    docker_exec(SOLO, "/usr/local/bin/dbaas-backup", "drill-probe", user="postgres")
    listing = json.loads(docker_exec(SOLO, "/usr/local/bin/dbaas-backup-list", user="postgres").stdout)
    return max(item["backup_id"] for item in listing["backups_list"] if item["status"] == "DONE")


def stored(s3) -> dict:
    """key -> ETag of solo's objects in its store, the drill records left out."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="solo/")
    return {item["Key"]: item["ETag"] for page in pages for item in page.get("Contents", []) if "/drills/" not in item["Key"]}


def timeline() -> int:
    return int(psql(SOLO, "SELECT timeline_id FROM pg_control_checkpoint()"))


def test_a_drill_after_a_backup_and_writes_passes_shows_in_status_and_changes_nothing(lab_inventory, lab_s3):
    backup_id = take_backup()
    psql(SOLO, "CREATE TABLE IF NOT EXISTS drill_probe (id serial PRIMARY KEY, note text); "
               "INSERT INTO drill_probe (note) SELECT 'row ' || n FROM generate_series(1, 500) n")

    run = run_playbook("restore_drill", lab_inventory, "-e", "drill_cluster=solo")
    assert run.rc == 0, run.output
    text = " ".join(run.output.split())
    assert f"of solo on {DRILL_HOST}: PASSED" in text
    assert f"Backup {backup_id} of server {archive_server(SOLO)}" in text
    assert "marker found" in text and "page checksums verified" in text
    assert re.search(r"Recovery time: download [\d.]+ s, WAL replay [\d.]+ s, checks [\d.]+ s", text), text
    assert re.search(r"Checked: [1-9]\d* databases, [1-9]\d* indexes", text), text

    # The scheduled drill (the timer's service) changes nothing in the cluster or its archive.
    started = psql(SOLO, "SELECT pg_postmaster_start_time()")
    rows = psql(SOLO, "SELECT count(*), sum(id) FROM drill_probe")
    own_timeline = timeline()
    before = stored(lab_s3)
    docker_exec(DRILL_HOST, "systemctl", "start", "dbaas-restore-drill@solo.service")
    outcome = json.loads(docker_exec(DRILL_HOST, "cat", "/var/lib/dbaas-drill/solo.last.json").stdout)
    assert outcome["ok"], outcome["problems"]
    assert outcome["row_counts"]["postgres.public.drill_probe"] >= 500
    after = stored(lab_s3)
    assert {key: etag for key, etag in after.items() if key in before} == before
    # New objects can only be the cluster's own WAL (archive_timeout), never the drill's:
    # the drill instance ends recovery on a new timeline, and nothing of it reaches the store.
    added = sorted(set(after) - set(before))
    assert all(re.search(rf"/wals/[0-9A-F]{{16}}/{own_timeline:08X}[0-9A-F]{{16}}\.", key) for key in added), added
    assert psql(SOLO, "SELECT pg_postmaster_start_time()") == started
    assert psql(SOLO, "SELECT count(*), sum(id) FROM drill_probe") == rows
    assert docker_exec(DRILL_HOST, "test", "-e", "/var/lib/dbaas-drill/solo/data", check=False).returncode == 1

    solo = status_json(lab_inventory, "solo")["solo"]["backups"]
    assert solo["drill"]["state"] == "passed"
    assert solo["last_drill"]["drill_id"] == outcome["drill_id"]
    assert "Restore drill: passed at" in run_playbook("status", lab_inventory, "--limit", "solo").output


def test_a_damaged_backup_fails_the_drill_naming_it_and_status_shows_it_red(lab_inventory, lab_s3):
    backup_id = take_backup()
    key = f"solo/{archive_server(SOLO)}/base/{backup_id}/data.tar.gz"
    whole = lab_s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    damaged = lab_s3.put_object(Bucket=BUCKET, Key=key, Body=whole[: len(whole) // 2])
    try:
        run = run_playbook("restore_drill", lab_inventory, "-e", "drill_cluster=solo")
        assert run.rc != 0, run.output
        text = " ".join(run.output.split())
        assert f"The restore drill of solo FAILED for backup {backup_id}" in text, run.output
        assert f"barman-cloud-restore of backup {backup_id} failed" in text
        status = run_playbook("status", lab_inventory, "--limit", "solo")
        assert "RESTORE DRILL FAILED at" in status.output and backup_id in status.output, status.output
        shown = status_json(lab_inventory, "solo")["solo"]
        assert shown["backups"]["drill"]["state"] == "failed"
        assert {"level": "red", "subject": "restore drill", "why": "the last drill failed"} in shown["attention"]
    finally:
        # The bucket is versioned: removing the damaged version brings the whole object back.
        lab_s3.delete_object(Bucket=BUCKET, Key=key, VersionId=damaged["VersionId"])
    assert lab_s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == whole
