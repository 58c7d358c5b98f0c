"""The backup object store on the lab's real S3-compatible endpoint (moto server).

moto stores bucket policies without enforcing them, so these tests check the stored
policy document; who may really do what needs a store that enforces policies.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import boto3
import pytest
import yaml

from conftest import LAB_INVENTORY, docker_exec, psql, run_playbook

# Scratch buckets only (tagged for demo, no host touched), beside the solo lane's heavier work;
# the tests that read or deprovision solo's own bucket are in solo's lane.
pytestmark = pytest.mark.lane_demo

SERVICE = "arn:aws:iam::123456789012:user/thalassa-lab-dbaas"
READER = "arn:aws:iam::444455556666:user/analytics"
FOREIGN = {
    "Sid": "AuditorList", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999:user/audit"},
    "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::placeholder",
}


@pytest.fixture(scope="module")
def endpoint(lab_inventory):
    settings = yaml.safe_load((lab_inventory / "group_vars" / "all" / "object_store.yml").read_text())
    return settings["backup_object_store_endpoint_url"]


@pytest.fixture(scope="module")
def credentials(lab_secrets, lab_store_ca):
    """The DBaaS key, and the CA the store's certificate is verified with (every module call takes both)."""
    return {"access_key": lab_secrets["backup_object_store_access_key"], "secret_key": lab_secrets["backup_object_store_secret_key"],
            "ca_bundle": lab_store_ca}


@pytest.fixture(scope="module")
def s3(endpoint, credentials):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", verify=credentials["ca_bundle"],
        aws_access_key_id=credentials["access_key"], aws_secret_access_key=credentials["secret_key"],
    )


@pytest.fixture
def bucket_name():
    return "probe-" + uuid.uuid4().hex[:12]


def run_module(module: str, args: dict, *flags: str) -> dict:
    completed = subprocess.run(
        ["ansible", "localhost", "-m", f"thalassa.dbaas.{module}", "-a", json.dumps(args), *flags],
        capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"},
    )
    events = json.loads(completed.stdout[completed.stdout.index("{"):])
    return events["plays"][0]["tasks"][0]["hosts"]["localhost"]


def stored_policy(s3, bucket):
    return json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])


def sids(policy):
    return [statement["Sid"] for statement in policy["Statement"]]


@pytest.fixture
def bucket_args(endpoint, credentials, bucket_name):
    return {"name": bucket_name, "cluster": "demo", "endpoint_url": endpoint, **credentials}


@pytest.fixture
def policy_args(endpoint, credentials, bucket_name):
    return {"bucket": bucket_name, "prefix": "demo", "service_principals": [SERVICE], "endpoint_url": endpoint, **credentials}


def test_bucket_is_created_versioned_encrypted_private_and_tagged_and_a_rerun_changes_nothing(s3, bucket_args, bucket_name):
    first = run_module("backup_bucket", bucket_args)
    assert first["changed"] is True, first
    assert "created bucket" in first["actions"]

    assert s3.get_bucket_versioning(Bucket=bucket_name)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=bucket_name)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket_name)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    tags = {tag["Key"]: tag["Value"] for tag in s3.get_bucket_tagging(Bucket=bucket_name)["TagSet"]}
    assert tags["thalassa.dbaas/cluster"] == "demo"
    assert tags["thalassa.dbaas/managed-by"] == "thalassa.dbaas"

    second = run_module("backup_bucket", bucket_args)
    assert second["changed"] is False and second["actions"] == [], second


def test_check_mode_reports_a_change_and_creates_nothing(s3, bucket_args, bucket_name):
    result = run_module("backup_bucket", bucket_args, "--check")
    assert result["changed"] is True
    assert bucket_name not in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]


def test_versioning_switched_off_by_hand_is_turned_back_on(s3, bucket_args, bucket_name):
    run_module("backup_bucket", bucket_args)
    s3.put_bucket_versioning(Bucket=bucket_name, VersioningConfiguration={"Status": "Suspended"})
    result = run_module("backup_bucket", bucket_args, "--diff")
    assert result["changed"] is True and "enabled versioning" in result["actions"]
    assert s3.get_bucket_versioning(Bucket=bucket_name)["Status"] == "Enabled"


def test_removed_dbaas_statement_is_restored_with_a_diff_and_foreign_statements_stay(s3, bucket_args, policy_args, bucket_name):
    run_module("backup_bucket", bucket_args)
    assert run_module("backup_bucket_policy", policy_args)["changed"] is True
    assert run_module("backup_bucket_policy", policy_args)["changed"] is False

    foreign = dict(FOREIGN, Resource=f"arn:aws:s3:::{bucket_name}")
    s3.put_bucket_policy(Bucket=bucket_name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [foreign]}))

    check = run_module("backup_bucket_policy", policy_args, "--check", "--diff")
    assert check["changed"] is True and check["dbaas_statement"] == "missing"
    assert sids(stored_policy(s3, bucket_name)) == ["AuditorList"]  # check mode wrote nothing

    repaired = run_module("backup_bucket_policy", policy_args, "--diff")
    assert repaired["changed"] is True and repaired["dbaas_statement"] == "missing"
    assert repaired["diff"]["before"]["Statement"] == [foreign]
    policy = stored_policy(s3, bucket_name)
    assert sorted(sids(policy)) == ["AuditorList", "DBaaSBackupWriter"]
    dbaas = next(s for s in policy["Statement"] if s["Sid"] == "DBaaSBackupWriter")
    assert dbaas["Principal"] == {"AWS": [SERVICE]}
    assert dbaas["Resource"] == [f"arn:aws:s3:::{bucket_name}", f"arn:aws:s3:::{bucket_name}/demo/*"]


def test_weakened_dbaas_statement_is_restored(s3, bucket_args, policy_args, bucket_name):
    run_module("backup_bucket", bucket_args)
    run_module("backup_bucket_policy", policy_args)
    policy = stored_policy(s3, bucket_name)
    policy["Statement"][0]["Action"] = ["s3:GetObject"]
    s3.put_bucket_policy(Bucket=bucket_name, Policy=json.dumps(policy))

    result = run_module("backup_bucket_policy", policy_args)
    assert result["changed"] is True and result["dbaas_statement"] == "changed"
    assert "s3:PutObject" in stored_policy(s3, bucket_name)["Statement"][0]["Action"]


def test_customer_readers_come_and_go_while_the_dbaas_statement_stays(s3, bucket_args, policy_args, bucket_name):
    run_module("backup_bucket", bucket_args)
    with_reader = dict(policy_args, customer_readers=[{"principal": READER}])
    assert run_module("backup_bucket_policy", with_reader)["changed"] is True
    policy = stored_policy(s3, bucket_name)
    reader = next(s for s in policy["Statement"] if s["Principal"] == {"AWS": [READER]})
    assert sorted(reader["Action"]) == ["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket"]
    assert run_module("backup_bucket_policy", with_reader)["changed"] is False

    assert run_module("backup_bucket_policy", policy_args)["changed"] is True
    assert sids(stored_policy(s3, bucket_name)) == ["DBaaSBackupWriter"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"customer_readers": [{"principal": READER, "actions": ["s3:GetObject", "s3:PutObject"]}]}, "read-only access only"),
        ({"customer_readers": [{"principal": READER, "actions": ["s3:DeleteObject"]}]}, "read-only access only"),
        ({"customer_readers": [{"principal": READER, "sid": "DBaaSBackupWriter"}]}, "belongs to the DBaaS statement"),
        ({"service_principals": []}, "needs the service principal"),
    ],
)
def test_input_that_would_weaken_the_dbaas_statement_is_refused_and_changes_nothing(
    s3, bucket_args, policy_args, bucket_name, change, message
):
    run_module("backup_bucket", bucket_args)
    run_module("backup_bucket_policy", policy_args)
    before = stored_policy(s3, bucket_name)

    result = run_module("backup_bucket_policy", dict(policy_args, **change))
    assert result.get("failed") is True
    assert message in result["msg"] and "nothing changed" in result["msg"]
    assert stored_policy(s3, bucket_name) == before


def test_invalid_bucket_name_is_refused_before_any_request(endpoint, credentials):
    result = run_module("backup_bucket", {"name": "Not_A_Bucket", "cluster": "demo", "endpoint_url": endpoint, **credentials})
    assert result.get("failed") is True and "is not valid" in result["msg"]


@pytest.mark.lane_solo
def test_site_attached_each_cluster_bucket_with_its_dbaas_statement(s3):
    for cluster in ("demo", "solo"):
        policy = stored_policy(s3, f"{cluster}-backups")
        dbaas = next(s for s in policy["Statement"] if s["Sid"] == "DBaaSBackupWriter")
        assert dbaas["Resource"][1] == f"arn:aws:s3:::{cluster}-backups/{cluster}/*"


@pytest.mark.lane_solo
def test_deprovision_needs_the_bucket_name_then_deletes_every_version(s3, bucket_args, bucket_name, lab_secrets):
    run_module("backup_bucket", dict(bucket_args, cluster="solo"))
    s3.put_object(Bucket=bucket_name, Key="solo/solo/base/20261125T020000/backup.info", Body=b"v1")
    s3.put_object(Bucket=bucket_name, Key="solo/solo/base/20261125T020000/backup.info", Body=b"v2")
    s3.put_object(Bucket=bucket_name, Key="solo/solo/wals/0000000100000000/000000010000000000000001", Body=b"x" * 1024)
    s3.delete_object(Bucket=bucket_name, Key="solo/solo/wals/0000000100000000/000000010000000000000001")
    target = ["-e", "deprovision_cluster=solo", "-e", f"backup_object_store_bucket={bucket_name}"]

    refused = run_playbook("deprovision_object_store", LAB_INVENTORY, *target)
    assert refused.rc != 0
    assert f"WARNING: this DELETES bucket {bucket_name}" in refused.output
    assert "It holds 1 objects (3 versions, 1 delete markers), 1028 bytes" in refused.output
    assert "Newest base backup: 20261125T020000" in refused.output
    assert "cannot be undone" in refused.output
    assert f"run again with -e confirm_deprovision={bucket_name}" in refused.output

    wrong = run_playbook("deprovision_object_store", LAB_INVENTORY, *target, "-e", "confirm_deprovision=solo-backups")
    assert wrong.rc != 0 and "Not confirmed: nothing was changed" in wrong.output
    assert len(s3.list_object_versions(Bucket=bucket_name).get("Versions", [])) == 3

    done = run_playbook("deprovision_object_store", LAB_INVENTORY, *target, "-e", f"confirm_deprovision={bucket_name}")
    assert done.rc == 0, done.output
    assert f"Deleted bucket {bucket_name}: 4 object versions and delete markers" in done.output
    assert bucket_name not in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
    for secret in lab_secrets.values():
        assert str(secret) not in done.output + refused.output

    # solo's own backups go to solo-backups, not to the bucket deleted here: left alone
    assert psql("thalassa-lab-pg4", "SHOW archive_command") == "/usr/local/bin/dbaas-wal-archive %p"

    again = run_playbook("deprovision_object_store", LAB_INVENTORY, *target, "-e", f"confirm_deprovision={bucket_name}")
    assert again.rc == 0, again.output
    assert "does not exist: nothing to deprovision" in again.output
    assert all(counters["changed"] == 0 for counters in again.recap().values())


def test_a_version_under_legal_hold_stops_the_deprovision_with_what_to_lift(s3, endpoint, credentials, bucket_name):
    """The store refuses to delete one version: the module fails with the key and what to do
    (no traceback), and the bucket and the held version are still there."""
    s3.create_bucket(Bucket=bucket_name, ObjectLockEnabledForBucket=True)
    held = s3.put_object(Bucket=bucket_name, Key="demo/demo/base/20261125T020000/backup.info", Body=b"held")["VersionId"]
    s3.put_object_legal_hold(Bucket=bucket_name, Key="demo/demo/base/20261125T020000/backup.info",
                             VersionId=held, LegalHold={"Status": "ON"})
    s3.put_object(Bucket=bucket_name, Key="demo/demo/wals/0000000100000000/000000010000000000000001", Body=b"x")
    try:
        result = run_module("backup_bucket", {"name": bucket_name, "state": "absent", "confirm_deprovision": bucket_name,
                                              "endpoint_url": endpoint, **credentials})
        assert result.get("failed") is True, result
        assert "Traceback" not in json.dumps(result)
        assert f"could not empty bucket {bucket_name}" in result["msg"]
        assert "demo/demo/base/20261125T020000/backup.info" in result["msg"]
        assert "the bucket still exists" in result["msg"] and "legal hold" in result["msg"]
        assert bucket_name in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
        left = [version["VersionId"] for version in s3.list_object_versions(Bucket=bucket_name).get("Versions", [])]
        assert held in left
    finally:
        s3.put_object_legal_hold(Bucket=bucket_name, Key="demo/demo/base/20261125T020000/backup.info",
                                 VersionId=held, LegalHold={"Status": "OFF"})
        for version in s3.list_object_versions(Bucket=bucket_name).get("Versions", []):
            s3.delete_object(Bucket=bucket_name, Key=version["Key"], VersionId=version["VersionId"])
        s3.delete_bucket(Bucket=bucket_name)


@pytest.mark.lane_solo
def test_deprovisioning_a_cluster_bucket_detaches_its_backups_and_site_attaches_a_new_one(s3, lab_secrets):
    solo = "thalassa-lab-pg4"
    done = run_playbook(
        "deprovision_object_store", LAB_INVENTORY, "-e", "deprovision_cluster=solo", "-e", "confirm_deprovision=solo-backups"
    )
    assert done.rc == 0, done.output
    assert "solo-backups" not in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
    assert psql(solo, "SHOW archive_command") == "/bin/true"
    timers = docker_exec(solo, "systemctl", "list-timers", "--all", "--no-pager").stdout
    assert "dbaas-backup" not in timers
    assert docker_exec(solo, "test", "-e", "/etc/barman-cloud/credentials", check=False).returncode == 1
    # The off-site copy stops reading the bucket; the copy itself stays.
    assert docker_exec(solo, "test", "-e", "/etc/barman-cloud/replication.json", check=False).returncode == 1
    # PostgreSQL keeps nothing waiting for an archive that is gone
    psql(solo, "SELECT pg_switch_wal()")
    assert docker_exec(solo, "sh", "-c", "sleep 3; ls /var/lib/postgresql/15/solo/pg_wal/archive_status | grep -c ready || true").stdout.strip() == "0"

    reattached = run_playbook("site", LAB_INVENTORY, "--limit", "solo", "--tags", "backups")
    assert reattached.rc == 0, reattached.output
    assert psql(solo, "SHOW archive_command") == "/usr/local/bin/dbaas-wal-archive %p"
    assert docker_exec(solo, "systemctl", "is-active", "dbaas-backup-replication.timer").stdout.strip() == "active"
    listed = json.loads(docker_exec(solo, "/usr/local/bin/dbaas-backup-list", user="postgres").stdout)["backups_list"]
    assert [(backup["backup_name"], backup["status"]) for backup in listed] == [("initial", "DONE")]
    for secret in lab_secrets.values():
        assert str(secret) not in done.output + reattached.output
