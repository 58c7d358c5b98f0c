"""Named restore points and restore planning on the lab's demo cluster: restore_point.yml
records where a point is, and thalassa.dbaas.restore_plan picks the base backup for a
target or refuses it with the restorable window, before anything changes."""

from __future__ import annotations

import json
import uuid

import pytest

from conftest import archive_server, cluster_roles, psql, run_module, run_playbook

pytestmark = pytest.mark.lane_demo


@pytest.fixture(scope="module")
def store(lab_inventory, lab_secrets, leader) -> dict:
    import yaml  # pylint: disable=import-outside-toplevel

    settings = yaml.safe_load((lab_inventory / "group_vars" / "all" / "object_store.yml").read_text())
    return {
        "bucket": "demo-backups", "prefix": "demo", "server_name": archive_server(leader),
        "endpoint_url": settings["backup_object_store_endpoint_url"],
        "ca_bundle": settings["backup_object_store_ca_bundle"],
        "access_key": lab_secrets["backup_object_store_access_key"],
        "secret_key": lab_secrets["backup_object_store_secret_key"],
    }


@pytest.fixture(scope="module")
def leader() -> str:
    return next(name for name, role in cluster_roles("thalassa-lab-pg1").items() if role == "leader")


def test_restore_point_is_made_archived_recorded_and_planned_from_its_lsn(lab_inventory, lab_s3, store, leader):
    name = f"test-{uuid.uuid4().hex[:8]}"
    run = run_playbook("restore_point", lab_inventory, "--diff", "-e", "restore_point_cluster=demo", "-e", f"restore_point_name={name}")
    assert run.rc == 0, run.output

    key = f"demo/thalassa-dbaas/{store['server_name']}/restore_points/{name}.json"
    record = json.loads(lab_s3.get_object(Bucket="demo-backups", Key=key)["Body"].read())
    assert record["name"] == name and record["cluster"] == "demo"
    # --diff shows the record written, where it was written.
    assert f"+++ after: s3://demo-backups/{key}" in run.output, run.output
    assert f'+  "lsn": "{record["lsn"]}",' in run.output and f'+  "name": "{name}",' in run.output
    assert psql(leader, f"SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '{record['lsn']}') > 0") == "t"
    assert f"Restore point {name} of cluster demo at LSN {record['lsn']}" in " ".join(run.output.split())

    result = run_module("restore_plan", {**store, "target_name": name})
    assert not result.get("failed"), result
    plan = result["plan"]
    assert result["restore_point"] == record
    assert "ended at or before LSN %s" % record["lsn"] in plan["why"]
    assert psql(leader, f"SELECT '{plan['backup_end_lsn']}'::pg_lsn <= '{record['lsn']}'::pg_lsn") == "t"


def test_a_taken_restore_point_name_is_refused_before_anything(lab_inventory):
    name = f"taken-{uuid.uuid4().hex[:8]}"
    assert run_playbook("restore_point", lab_inventory, "-e", "restore_point_cluster=demo",
                        "-e", f"restore_point_name={name}").rc == 0
    again = run_playbook("restore_point", lab_inventory, "-e", "restore_point_cluster=demo", "-e", f"restore_point_name={name}")
    assert again.rc != 0
    assert f"A restore point named {name} exists already" in " ".join(again.output.split())
    # creating the restore point always reports a change: nothing was created
    assert all(counters["changed"] == 0 for counters in again.recap().values()), again.recap()


@pytest.mark.parametrize("target, message", [
    ({"target_time": "2000-01-01T00:00:00+00:00"}, "is before the earliest restorable point: the store can restore from"),
    ({"target_time": "2999-01-01T00:00:00+00:00"}, "is after the newest archived WAL"),
    ({"target_time": "2026-11-25T18:00:00"}, "has no time zone"),
    ({"target_lsn": "0/1", "target_xid": "5"}, "Give exactly one recovery target"),
    ({}, "Give exactly one recovery target"),
])
def test_unreachable_or_malformed_targets_are_refused_with_the_window(store, target, message):
    result = run_module("restore_plan", {**store, **target})
    assert result.get("failed"), result
    assert result["msg"].startswith("Restore refused, nothing changed: ")
    assert message in result["msg"]


def test_latest_starts_from_the_newest_done_backup(store):
    listed = run_module("backup_info", store)
    result = run_module("restore_plan", {**store, "target_latest": True})
    assert result["plan"]["backup_id"] == listed["last_backup"]["backup_id"]
    assert result["plan"]["wal_to"] == listed["recovery_window"]["newest_wal"]
