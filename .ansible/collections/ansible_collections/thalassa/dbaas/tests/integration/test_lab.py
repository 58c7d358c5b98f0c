"""The lab itself: a second "up" duplicates nothing, and the hosts reach the S3 endpoint."""

from __future__ import annotations

import subprocess

from conftest import LAB_INVENTORY, REPO_ROOT, lab_hosts


def lab_containers() -> list[str]:
    completed = subprocess.run(
        ["docker", "ps", "-a", "--filter", "label=thalassa.lab", "--format", "{{.ID}} {{.Names}}"],
        capture_output=True, text=True, check=True,
    )
    return sorted(completed.stdout.splitlines())


def test_lab_up_twice_duplicates_nothing(lab_inventory):
    containers = lab_containers()
    inventory = (LAB_INVENTORY / "hosts.yml").read_text()
    secrets = (LAB_INVENTORY / "group_vars" / "all" / "secrets.yml").read_text()

    subprocess.run([str(REPO_ROOT / "scripts" / "lab"), "up"], check=True, capture_output=True)

    assert lab_containers() == containers
    assert (LAB_INVENTORY / "hosts.yml").read_text() == inventory
    assert (LAB_INVENTORY / "group_vars" / "all" / "secrets.yml").read_text() == secrets


def test_every_host_reaches_the_s3_endpoint(lab_inventory_data):
    for host in lab_hosts(lab_inventory_data):
        completed = subprocess.run(
            ["docker", "exec", host, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
             "http://thalassa-lab-s3:9000/"],
            capture_output=True, text=True, check=False,
        )
        assert completed.stdout == "200", (host, completed.stdout, completed.stderr)
