"""The lab itself: a second "up" duplicates nothing, the hosts reach the S3 endpoint over
HTTPS, whose certificate only the lab's own CA verifies, and Ansible reaches the hosts over
SSH, checking each host's key."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError, SSLError

from conftest import LAB_INVENTORY, REPO_ROOT, lab_hosts

pytestmark = pytest.mark.whole_lab


def lab_containers() -> list[str]:
    completed = subprocess.run(
        ["docker", "ps", "-a", "--filter", "label=thalassa.lab", "--format", "{{.ID}} {{.Names}}"],
        capture_output=True, text=True, check=True,
    )
    return sorted(completed.stdout.splitlines())


def test_lab_up_twice_duplicates_nothing(lab_inventory):
    containers = lab_containers()
    inventory = (LAB_INVENTORY / "hosts.yml").read_text()
    secrets = {name: (LAB_INVENTORY / "group_vars" / "all" / name).read_text()
               for name in ("secrets.yml", "object_store_credentials.yml")}

    subprocess.run([str(REPO_ROOT / "scripts" / "lab"), "up"], check=True, capture_output=True)

    assert lab_containers() == containers
    assert (LAB_INVENTORY / "hosts.yml").read_text() == inventory
    assert {name: (LAB_INVENTORY / "group_vars" / "all" / name).read_text() for name in secrets} == secrets


def test_the_endpoint_refuses_a_wrong_key_and_accepts_the_dbaas_key(lab_secrets, lab_store_ca):
    endpoint = "https://127.0.0.1:9000"  # where the controller reaches it (LAB_S3_PUBLISH)

    def client(secret, verify=lab_store_ca):
        return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", verify=verify,
                            aws_access_key_id=lab_secrets["backup_object_store_access_key"], aws_secret_access_key=secret)

    assert "Buckets" in client(lab_secrets["backup_object_store_secret_key"]).list_buckets()
    with pytest.raises(ClientError, match="SignatureDoesNotMatch"):
        client("not-the-secret").list_buckets()
    with pytest.raises(SSLError, match="CERTIFICATE_VERIFY_FAILED"):  # the system's CAs do not know the lab's
        client(lab_secrets["backup_object_store_secret_key"], verify=True).list_buckets()


def test_every_host_reaches_the_s3_endpoint_and_verifies_it_with_the_lab_ca(lab_inventory_data, lab_store_ca):
    ca = Path(lab_store_ca).read_text()
    for host in lab_hosts(lab_inventory_data):
        completed = subprocess.run(
            ["docker", "exec", "-i", host, "sh", "-c",
             "cat > /tmp/lab-store-ca.pem && curl -s --cacert /tmp/lab-store-ca.pem -o /dev/null -w '%{http_code}' "
             "https://thalassa-lab-s3:9000/moto-api/config"],
            input=ca, capture_output=True, text=True, check=False,
        )
        assert completed.stdout.startswith("2"), (host, completed.stdout, completed.stderr)


def host_at(inventory_data: dict, address: str) -> str:
    """The lab host the inventory reaches at this address."""
    groups = [inventory_data["all"]["children"]["dbaas_clusters"]["children"][name]
              for name in inventory_data["all"]["children"]["dbaas_clusters"]["children"]]
    groups.append(inventory_data["all"]["children"]["dbaas_drill_hosts"])
    (host,) = [name for group in groups for name, settings in group["hosts"].items() if settings["ansible_host"] == address]
    return host


def ping(inventory: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ansible", "all", "-i", str(inventory), "-m", "ansible.builtin.ping", "-o", *extra],
                          capture_output=True, text=True, check=False, timeout=300)


def test_ansible_reaches_every_host_over_ssh_and_refuses_a_host_key_it_did_not_record(
        lab_inventory, lab_inventory_data, tmp_path):
    hosts = lab_hosts(lab_inventory_data) + ["thalassa-lab-drill"]
    assert lab_inventory_data["all"]["vars"]["ansible_connection"] == "ansible.builtin.ssh"
    reached = ping(lab_inventory)
    assert reached.returncode == 0, reached.stdout + reached.stderr
    assert sorted(line.split(" | ")[0] for line in reached.stdout.splitlines() if " | SUCCESS" in line) == sorted(hosts)
    # The same inventory with another key recorded for one host: that host is refused (new
    # control paths, so that no connection kept from the run before skips the check).
    known_hosts = (LAB_INVENTORY.parent / "ssh" / "known_hosts").read_text().splitlines()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True)
    other_key = " ".join((tmp_path / "other.pub").read_text().split()[:2])
    (tmp_path / "known_hosts").write_text("\n".join([f"{known_hosts[0].split()[0]} {other_key}"] + known_hosts[1:]) + "\n")
    (tmp_path / "cp").mkdir()
    refused = ping(lab_inventory, "-e", json.dumps({
        "ansible_ssh_common_args": f"-o UserKnownHostsFile={tmp_path / 'known_hosts'}",
        "ansible_control_path_dir": str(tmp_path / "cp"), "ansible_ssh_retries": 0}))
    assert refused.returncode != 0
    unreachable = [line.split(" | ")[0] for line in refused.stdout.splitlines() if " | UNREACHABLE" in line]
    assert unreachable == [host_at(lab_inventory_data, known_hosts[0].split()[0])], refused.stdout
    assert "Host key verification failed" in refused.stdout
