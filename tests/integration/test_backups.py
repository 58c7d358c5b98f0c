"""Barman backups on the lab: real PostgreSQL, real barman-cloud, real timers, the lab's S3."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from conftest import LAB_INVENTORY, archive_now, archive_server, cluster_roles, docker_exec, psql, run_playbook

pytestmark = pytest.mark.lane_demo

DEMO_MEMBERS = ["thalassa-lab-pg1", "thalassa-lab-pg2", "thalassa-lab-pg3"]
SOLO = "thalassa-lab-pg4"


@pytest.fixture(scope="module")
def s3(lab_s3):
    return lab_s3


@pytest.fixture(scope="module")
def roles():
    return cluster_roles(DEMO_MEMBERS[0])


@pytest.fixture(scope="module")
def leader(roles):
    return next(name for name, role in roles.items() if role == "leader")


@pytest.fixture(scope="module")
def replica(roles):
    return next(name for name, role in roles.items() if role != "leader")


def backups(host: str) -> list[dict]:
    return json.loads(docker_exec(host, "/usr/local/bin/dbaas-backup-list", user="postgres").stdout)["backups_list"]


def keys(s3, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


@pytest.mark.parametrize("cluster", [pytest.param("demo", marks=pytest.mark.lane_demo),
                                     pytest.param("solo", marks=pytest.mark.lane_solo)])
def test_initial_backup_is_listed_done_in_each_cluster_store(cluster, request):
    """Each in its cluster's lane, before that lane's restores give the cluster a new history."""
    host = request.getfixturevalue("leader") if cluster == "demo" else "thalassa-lab-pg4"
    done = [backup for backup in backups(host) if backup["status"] == "DONE"]
    assert [backup.get("backup_name") for backup in done][:1] == ["initial"]


def test_a_new_wal_segment_reaches_the_store_within_archive_timeout(s3, leader):
    psql(leader, "CREATE TABLE IF NOT EXISTS archive_probe (id serial, at timestamptz default now()); INSERT INTO archive_probe DEFAULT VALUES")
    current = psql(leader, "SELECT pg_walfile_name(pg_current_wal_lsn())")
    deadline = time.monotonic() + 60 + 30  # archive_timeout + upload time
    while time.monotonic() < deadline:
        archived = [key for key in keys(s3, "demo-backups", f"demo/{archive_server(leader)}/wals/") if current in key]
        if archived:
            break
        time.sleep(2)
    assert archived, f"segment {current} not in the store within archive_timeout"
    stats = psql(leader, "SELECT failed_count FROM pg_stat_archiver")
    assert stats == "0"


def test_archive_command_comes_from_patroni_and_carries_no_secret(leader, lab_secrets):
    command = psql(leader, "SHOW archive_command")
    assert command == "/usr/local/bin/dbaas-wal-archive %p"
    config = json.loads(docker_exec(leader, "curl", "-sf", "http://127.0.0.1:8008/config").stdout)
    assert config["postgresql"]["parameters"]["archive_command"] == command
    for host in DEMO_MEMBERS:
        mode = docker_exec(host, "stat", "-c", "%a %U", "/etc/barman-cloud/credentials").stdout.split()
        assert mode == ["600", "postgres"]
        processes = docker_exec(host, "ps", "-eo", "args").stdout
        assert lab_secrets["backup_object_store_secret_key"] not in processes


@pytest.mark.whole_lab
def test_both_timers_are_scheduled_on_every_member():
    for host in DEMO_MEMBERS + ["thalassa-lab-pg4"]:
        timers = docker_exec(host, "systemctl", "list-timers", "--all", "--no-pager").stdout
        for unit in ("dbaas-backup.timer", "dbaas-backup-retention.timer"):
            line = next(line for line in timers.splitlines() if unit in line)
            assert not line.startswith("n/a"), line  # NEXT column: a next run is scheduled


def test_backup_service_backs_up_on_the_leader_and_does_nothing_on_a_replica(leader, replica):
    before = len(backups(leader))

    on_replica = docker_exec(replica, "systemctl", "start", "dbaas-backup.service", check=False)
    assert on_replica.returncode == 0, on_replica.stderr
    assert docker_exec(replica, "systemctl", "show", "-p", "Result", "dbaas-backup.service").stdout.strip() == "Result=success"
    assert "not the leader" in docker_exec(replica, "journalctl", "-u", "dbaas-backup.service", "--no-pager").stdout
    assert len(backups(leader)) == before

    on_leader = docker_exec(leader, "systemctl", "start", "dbaas-backup.service", check=False)
    assert on_leader.returncode == 0, docker_exec(leader, "journalctl", "-u", "dbaas-backup.service", "--no-pager").stdout
    after = backups(leader)
    assert len(after) == before + 1
    assert sorted(after, key=lambda backup: backup["backup_id"])[-1]["status"] == "DONE"


def test_backup_playbook_takes_a_named_backup_now(leader):
    name = "manual-" + uuid.uuid4().hex[:6]
    run = run_playbook("backup", LAB_INVENTORY, "-e", "backup_cluster=demo", "-e", f"backup_name={name}")
    assert run.rc == 0, run.output
    assert f"({name}) of cluster demo: DONE" in run.output
    assert any(backup.get("backup_name") == name and backup["status"] == "DONE" for backup in backups(leader))


def test_backup_playbook_refuses_a_bad_name_before_anything(leader):
    before = len(backups(leader))
    run = run_playbook("backup", LAB_INVENTORY, "-e", "backup_cluster=demo", "-e", "backup_name=$(reboot)")
    assert run.rc != 0 and "Nothing was changed" in run.output
    assert len(backups(leader)) == before


@pytest.mark.lane_solo
@pytest.mark.parametrize("owner", [None, {"cluster": "solo", "system_identifier": "1234"}])
def test_archiving_into_another_history_is_refused_with_nothing_changed(s3, make_inventory, lab_secrets, untouched, owner):
    bucket = "guard-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="solo/solo/wals/0000000100000000/000000010000000000000001.gz", Body=b"wal")
    if owner:
        s3.put_object(Bucket=bucket, Key="solo/thalassa-dbaas/solo/owner.json", Body=json.dumps(owner).encode())
    s3_keys_before = keys(s3, bucket, "")

    run = run_playbook("site", make_inventory(group_vars={"solo": {"backup_object_store_bucket": bucket}}),
                       "--limit", "solo", "--tags", "backups")
    assert run.rc != 0
    assert f"Refusing to archive cluster solo into s3://{bucket}/solo/solo/wals/" in run.output
    assert ("no DBaaS cluster claims" if owner is None else "cluster solo (database system identifier 1234)") in run.output
    assert keys(s3, bucket, "") == s3_keys_before
    assert psql("thalassa-lab-pg4", "SHOW archive_command") == "/usr/local/bin/dbaas-wal-archive %p"
    for secret in lab_secrets.values():
        assert str(secret) not in run.output


@pytest.mark.lane_solo
def test_a_member_still_on_the_old_settings_layout_is_refused_naming_the_upgrade(lab_inventory, untouched):
    """A member whose backups an earlier version set up (/etc/barman-cloud/env, no settings.json):
    playbooks that read its settings refuse it and name site.yml --tags backups, instead of
    reading half a configuration. The member's files are put back right after the run."""
    settings, legacy = "/etc/barman-cloud/settings.json", "/etc/barman-cloud/env"
    docker_exec(SOLO, "sh", "-c", f"mv {settings} {settings}.kept && echo 'BARMAN_CLOUD_SERVER=solo' > {legacy}")
    try:
        run = run_playbook("restore_point", lab_inventory, "-e", "restore_point_cluster=solo",
                           "-e", f"restore_point_name=old-layout-{int(time.time())}")
    finally:
        docker_exec(SOLO, "sh", "-c", f"rm -f {legacy} && mv {settings}.kept {settings}")
    archive_now(SOLO)  # a segment archived meanwhile failed and is retried: archiving works again
    text = " ".join(run.output.split())
    assert run.rc != 0, text[-3000:]
    assert f"{SOLO}'s backups were set up by an earlier version of this collection" in text, text[-3000:]
    assert "Run site.yml --tags backups for this cluster first; nothing was changed" in text
    assert all(counters["changed"] == 0 for counters in run.recap().values()), run.recap()
