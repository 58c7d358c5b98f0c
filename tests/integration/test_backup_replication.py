"""The off-site copy (backup_replication role, replicate_backups.yml) on the lab: solo's
backups go from the lab's store, read with the customer's read-only key, to the lab's second
endpoint. The copy is complete and a second run moves nothing; a wrong key fails clearly and
leaves the copy alone; only backups retention removed long enough ago leave the copy; and
the copy alone restores the cluster while the source store does not answer."""

from __future__ import annotations

import json
import re
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest

from conftest import archive_now, archive_server, docker_exec, psql, run_module, run_playbook, status_json

pytestmark = pytest.mark.lane_solo

SOLO = "thalassa-lab-pg4"
SOURCE_BUCKET, COPY_BUCKET, PREFIX = "solo-backups", "solo-backups-copy", "solo/"
SETTINGS = "/etc/barman-cloud/replication.json"
MAIN_STORE = "thalassa-lab-s3"
CHECKSUM = "SELECT coalesce(md5(string_agg(id || ':' || note, ',' ORDER BY id)), 'empty') FROM replication_probe"


def objects(client, bucket: str) -> dict:
    """key -> (size, ETag, LastModified) of the current objects under solo's prefix."""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PREFIX)
    return {item["Key"]: (item["Size"], item["ETag"], item["LastModified"]) for page in pages for item in page.get("Contents", [])}


def versions(client, bucket: str) -> list:
    """Every object version and delete marker under solo's prefix: what a run may not change."""
    found = []
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=PREFIX):
        found += [(item["Key"], item["VersionId"], item.get("ETag")) for item in page.get("Versions", [])]
        found += [(item["Key"], item["VersionId"], "delete marker") for item in page.get("DeleteMarkers", [])]
    return sorted(found)


def replicate(lab_inventory, *extra):
    return run_playbook("replicate_backups", lab_inventory, "-e", "replicate_cluster=solo", *extra)


def copied(run) -> int:
    text = " ".join(run.output.split())
    return int(re.search(r"(?:Copied|Would copy) (\d+) objects", text).group(1))


def line_of(run, start: str) -> str:
    """One item of the printed report: from its start to the next item."""
    rest = " ".join(run.output.split()).split(start, 1)[1]
    return re.split(r"Kept in the copy though|Backups: \d+ in the source|Deleted from the copy", rest)[0]


def write_rows(*rows: int) -> str:
    psql(SOLO, "CREATE TABLE IF NOT EXISTS replication_probe (id int PRIMARY KEY, note text)")
    psql(SOLO, "INSERT INTO replication_probe VALUES " + ",".join(f"({row}, 'row {row}')" for row in rows)
         + " ON CONFLICT (id) DO NOTHING")
    archive_now(SOLO)
    return psql(SOLO, CHECKSUM)


def take_backup(name: str) -> str:
    docker_exec(SOLO, "/usr/local/bin/dbaas-backup", name, user="postgres")
    listing = json.loads(docker_exec(SOLO, "/usr/local/bin/dbaas-backup-list", user="postgres").stdout)
    return max(item["backup_id"] for item in listing["backups_list"] if item["status"] == "DONE")


def put_settings(content: str) -> None:
    subprocess.run(["docker", "exec", "-i", SOLO, "sh", "-c", f"cat > {SETTINGS}"], input=content, text=True, check=True)


def edit_settings(store: str, secret: str) -> None:
    script = ("import json, sys; path, store, secret = sys.argv[1:]; settings = json.load(open(path)); "
              "settings[store]['secret_key'] = secret; json.dump(settings, open(path, 'w'))")
    docker_exec(SOLO, "python3", "-c", script, SETTINGS, store, secret)


def test_a_copy_holds_every_backup_and_wal_segment_and_a_second_run_copies_nothing(lab_inventory, lab_s3, lab_offsite):
    write_rows(1, 2)
    take_backup("before-copy")
    write_rows(3)
    source = objects(lab_s3, SOURCE_BUCKET)
    copy_before = versions(lab_offsite["client"], COPY_BUCKET)

    dry = replicate(lab_inventory, "--check")
    assert dry.rc == 0, dry.output
    assert copied(dry) > 0 and "Would copy" in dry.output
    assert versions(lab_offsite["client"], COPY_BUCKET) == copy_before

    first = replicate(lab_inventory)
    assert first.rc == 0, first.output
    assert first.recap()[SOLO]["changed"] == 1
    copy = objects(lab_offsite["client"], COPY_BUCKET)
    missing = [key for key in source if key not in copy or copy[key][0] != source[key][0]]
    assert missing == [], missing
    # Single-part objects carry their MD5 as ETag: same ETag, same bytes.
    assert [key for key in source if "-" not in source[key][1] and copy[key][1] != source[key][1]] == []
    server = archive_server(SOLO)
    assert any(key.startswith(f"{PREFIX}{server}/base/") and key.endswith("backup.info") for key in copy)
    assert len([key for key in copy if f"{server}/wals/" in key]) >= len([key for key in source if f"{server}/wals/" in key])
    assert "The copy holds every DONE backup of the source" in " ".join(first.output.split())

    second = replicate(lab_inventory)
    assert second.rc == 0, second.output
    copy_after = objects(lab_offsite["client"], COPY_BUCKET)
    new_keys = set(copy_after) - set(copy)
    # The second run moved only what reached the source after the first (usually nothing).
    assert copied(second) == len(new_keys)
    if not new_keys:
        assert second.recap()[SOLO]["changed"] == 0

    solo = status_json(lab_inventory, "solo")["solo"]["offsite_copy"]
    assert solo["ok"] and solo["lag"]["missing"] == [] and solo["lag"]["newest_in_copy"].startswith(f"{server}/")
    assert "Off-site copy: last copied at" in run_playbook("status", lab_inventory, "--limit", "solo").output


def test_a_copy_with_a_wrong_key_fails_clearly_and_leaves_the_copy_as_it_was(lab_inventory, lab_offsite):
    good = docker_exec(SOLO, "cat", SETTINGS).stdout
    write_rows(10)  # something new to copy, had the copy gone ahead
    before = versions(lab_offsite["client"], COPY_BUCKET)
    try:
        for store in ("source", "copy"):
            put_settings(good)
            edit_settings(store, "revoked-secret")
            run = replicate(lab_inventory)
            assert run.rc != 0, run.output
            text = " ".join(run.output.split())
            assert f"The off-site copy of solo failed: the {store} store" in text, run.output
            assert f"Check backup_replication_{store}_access_key/_secret_key" in text
            assert "The copy keeps what it held before" in text
            assert "revoked-secret" not in run.output
            assert versions(lab_offsite["client"], COPY_BUCKET) == before
        status = run_playbook("status", lab_inventory, "--limit", "solo")
        assert "OFF-SITE COPY FAILS since" in status.output, status.output
    finally:
        put_settings(good)
    # With the right keys again, the next run copies what waited: a delay, nothing lost.
    again = replicate(lab_inventory)
    assert again.rc == 0 and copied(again) > 0, again.output


def rewrite_times(client, bucket: str, key: str, days_ago: int) -> None:
    """Ages a backup in the copy as days of retention would (its begin and end times)."""
    text = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    moment = (datetime.now(timezone.utc) - timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M:%S.000000+00:00")
    text = re.sub(r"^(begin_time|end_time)=.*$", lambda match: f"{match.group(1)}={moment}", text, flags=re.M)
    client.put_object(Bucket=bucket, Key=key, Body=text.encode())


def test_only_a_backup_retention_removed_long_enough_ago_leaves_the_copy(lab_inventory, lab_s3, lab_offsite):
    server = archive_server(SOLO)
    removed = take_backup("gone-from-source")
    take_backup("kept")
    assert replicate(lab_inventory).rc == 0
    base = f"{PREFIX}{server}/base/{removed}/"
    # The backup disappears from the source (a mistake, or retention): the copy keeps it.
    for key in [key for key in objects(lab_s3, SOURCE_BUCKET) if key.startswith(base)]:
        lab_s3.delete_object(Bucket=SOURCE_BUCKET, Key=key)
    held = replicate(lab_inventory)
    assert held.rc == 0, held.output
    assert f"{server}/{removed}" in line_of(held, "Kept in the copy though gone from the source:")
    assert f"{base}backup.info" in objects(lab_offsite["client"], COPY_BUCKET)

    # Once it ended longer ago than the window (14 days) plus the delay (7), it goes.
    rewrite_times(lab_offsite["client"], COPY_BUCKET, f"{base}backup.info", days_ago=22)
    gone = replicate(lab_inventory)
    assert gone.rc == 0, gone.output
    assert f"{server}/{removed}" in line_of(gone, "Deleted from the copy (gone from the source, ended before")
    assert f"{server}/{removed}" not in line_of(gone, "Kept in the copy though gone from the source:")
    assert not [key for key in objects(lab_offsite["client"], COPY_BUCKET) if key.startswith(base)]
    assert gone.recap()[SOLO]["changed"] == 1


def wait_until_answering(client, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            client.list_objects_v2(Bucket=SOURCE_BUCKET, MaxKeys=1)
            return
        except Exception:  # pylint: disable=broad-except
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


@pytest.mark.whole_lab
@pytest.mark.rebuilds_clusters
def test_the_copy_alone_restores_the_cluster_while_the_source_store_does_not_answer(
        lab_inventory, lab_s3, lab_store_ca, lab_offsite, lab_secrets, make_inventory):
    """The exit scenario: the cloud's store is gone. The cluster is pointed at a store of its
    own outside the cloud (site.yml) and restored from the copy (restore.yml) while the lab's
    store is frozen; it gets exactly what the copy held."""
    psql(SOLO, "DROP TABLE IF EXISTS replication_probe")
    expected = write_rows(100, 101)
    assert replicate(lab_inventory).rc == 0
    write_rows(102)  # in the source only: a restore from the copy must end before it
    old_server = archive_server(SOLO)
    system_identifier = psql(SOLO, "SELECT system_identifier FROM pg_control_system()")
    offsite = {key: lab_offsite[key] for key in ("endpoint_url", "region", "access_key", "secret_key", "ca_bundle")}
    exit_inventory = make_inventory(group_vars={"solo": {
        "backup_object_store_bucket": f"solo-exit-{int(time.time())}",
        "backup_object_store_endpoint_url": offsite["endpoint_url"],
        "backup_object_store_access_key": offsite["access_key"],
        "backup_object_store_secret_key": offsite["secret_key"],
        # The off-site store's certificate comes from a CA of its own, not the main store's.
        "backup_object_store_ca_bundle": offsite["ca_bundle"],
        "backup_replication_copy_bucket": "",
    }})
    moved = run_playbook("site", exit_inventory, "--limit", "solo", "--tags", "backups")
    assert moved.rc == 0, moved.output

    from_copy = ["-e", "restore_cluster=solo", "-e", "restore_target=latest", "-e", f"restore_source_bucket={COPY_BUCKET}",
                 "-e", "restore_source_prefix=solo", "-e", f"restore_source_endpoint_url={offsite['endpoint_url']}",
                 "-e", f"restore_source_access_key={offsite['access_key']}", "-e", f"restore_source_ca_bundle={offsite['ca_bundle']}"]
    refused = run_playbook("restore", exit_inventory, *from_copy, "-e", "restore_source_secret_key=not-the-secret")
    assert refused.rc != 0 and "The store refused these credentials" in refused.output, refused.output
    assert "not-the-secret" not in refused.output
    assert psql(SOLO, CHECKSUM) != expected  # nothing changed: row 102 is still there

    subprocess.run(["docker", "pause", MAIN_STORE], check=True)
    try:
        run = run_playbook("restore", exit_inventory, *from_copy, "-e", f"restore_source_secret_key={offsite['secret_key']}")
        paused = subprocess.run(["docker", "inspect", "-f", "{{.State.Status}}", MAIN_STORE],
                                capture_output=True, text=True, check=True).stdout.strip()
    finally:
        subprocess.run(["docker", "unpause", MAIN_STORE], check=True)
    assert run.rc == 0, run.output
    assert paused == "paused"
    assert f"s3://{COPY_BUCKET}/solo" in run.output
    assert offsite["secret_key"] not in run.output
    assert psql(SOLO, CHECKSUM) == expected
    # The copy's key was written on the member only for the restore.
    assert docker_exec(SOLO, "test", "-e", "/etc/barman-cloud/restore-source-credentials", check=False).returncode == 1

    # Back to the lab's store for the tests after this one. In that store the cluster's
    # history went on without this restore: its new history gets a server name of its own.
    wait_until_answering(lab_s3)
    store = {"endpoint_url": lab_s3.meta.endpoint_url, "addressing_style": "path", "ca_bundle": lab_store_ca,
             "access_key": lab_secrets["backup_object_store_access_key"],
             "secret_key": lab_secrets["backup_object_store_secret_key"]}
    moved_on = run_module("wal_archive_successor", dict(
        store, bucket=SOURCE_BUCKET, prefix="solo", server_name="solo", successor=f"{old_server}-exit",
        cluster="solo", system_identifier=system_identifier, restored_from={"store": "off-site copy"}), diff=True)
    assert not moved_on.get("failed"), moved_on
    # --diff shows both records: the successor's, new, and the old server's, now superseded.
    assert [(entry["after_header"].rsplit("/", 2)[1], bool(entry["before"])) for entry in moved_on["diff"]] == \
        [(f"{old_server}-exit", False), (old_server, True)], moved_on["diff"]
    assert f'"superseded_by": "{old_server}-exit"' in moved_on["diff"][1]["after"]
    back = run_playbook("site", lab_inventory, "--limit", "solo", "--tags", "backups")
    assert back.rc == 0, back.output
    assert archive_server(SOLO) == f"{old_server}-exit"
