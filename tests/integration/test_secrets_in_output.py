"""No secret of the inventory shows at -vvv: every playbook that handles one (deploy, backup,
restore, off-site copy, drill, status) run at Ansible's most verbose, and the journals of the
hosts it ran on, hold none of the passwords, store keys or the CA's private key. Two tests,
one in each lane: the drill host and solo's options in solo's, a three-member restore in demo's.

At -v and above Ansible prints each task's whole result, loop items included: a task that
loops over entries carrying a key, or passes a secret where no_log does not cover it,
shows here."""

from __future__ import annotations

import pytest
import yaml

from conftest import docker_exec, lab_hosts, run_playbook

pytestmark = pytest.mark.lane_solo

DRILL_HOST = "thalassa-lab-drill"


def inventory_secrets(lab_inventory, lab_secrets: dict, lab_offsite: dict) -> dict[str, str]:
    """name -> value of every secret the lab's inventory holds."""
    secrets = {name: str(value) for name, value in lab_secrets.items()}
    secrets["lab_offsite_store.access_key"] = lab_offsite["access_key"]
    secrets["lab_offsite_store.secret_key"] = lab_offsite["secret_key"]
    for path in sorted((lab_inventory / "group_vars").glob("*/ca.yml")):
        ca_key = yaml.safe_load(path.read_text())["postgresql_ca_key"]
        # The key's body lines: any one of them printed is a leak.
        for number, line in enumerate(ca_key.splitlines()):
            if not line.startswith("-----") and len(line) >= 16:
                secrets["%s postgresql_ca_key line %d" % (path.parent.name, number)] = line
    assert len(secrets) >= 9, sorted(secrets)
    return secrets


def journal_since(host: str, since: str) -> str:
    return docker_exec(host, "journalctl", "--no-pager", "-o", "cat", "--since", since).stdout


def leaked(text: str, secrets: dict[str, str]) -> list[str]:
    return sorted(name for name, value in secrets.items() if value in text)


def assert_no_secret_at_vvv(lab_inventory, secrets: dict[str, str], hosts: list[str], runs: list[tuple[str, ...]]) -> None:
    """Runs each playbook at -vvv; neither its output nor the hosts' journals since hold a secret."""
    since = {host: docker_exec(host, "date", "+%Y-%m-%d %H:%M:%S").stdout.strip() for host in hosts}
    for playbook, *arguments in runs:
        run = run_playbook(playbook, lab_inventory, "-vvv", *arguments)
        assert run.rc == 0, run.output[-6000:]
        assert "ESTABLISH" in run.output  # -vvv took effect: connection details are printed
        assert leaked(run.output, secrets) == [], "%s -vvv printed these secrets" % playbook
    for host in hosts:
        journal = journal_since(host, since[host])
        assert journal, host
        assert leaked(journal, secrets) == [], "the journal of %s holds these secrets" % host


def test_no_secret_shows_at_vvv_deploying_copying_drilling_or_in_status(lab_inventory, lab_inventory_data,
                                                                        lab_secrets, lab_offsite):
    """solo has every option on (etcd over TLS, a CA of the user's own, the off-site copy); the
    drill host holds every cluster's store key."""
    runs = [
        ("site", "--limit", "solo," + DRILL_HOST),
        ("replicate_backups", "-e", "replicate_cluster=solo"),
        ("restore_drill", "-e", "drill_cluster=solo"),
        ("status", "--limit", "solo"),
    ]
    secrets = inventory_secrets(lab_inventory, lab_secrets, lab_offsite)
    assert_no_secret_at_vvv(lab_inventory, secrets, lab_hosts(lab_inventory_data, "solo") + [DRILL_HOST], runs)


@pytest.mark.lane_demo
@pytest.mark.rebuilds_clusters
def test_no_secret_shows_at_vvv_backing_up_or_restoring_a_three_member_cluster(
        lab_inventory, lab_inventory_data, lab_secrets, lab_offsite):
    runs = [
        ("backup", "-e", "backup_cluster=demo", "-e", "backup_name=verbose"),
        ("restore", "-e", "restore_cluster=demo", "-e", "restore_target=latest"),
        ("status", "--limit", "demo"),
    ]
    secrets = inventory_secrets(lab_inventory, lab_secrets, lab_offsite)
    assert_no_secret_at_vvv(lab_inventory, secrets, lab_hosts(lab_inventory_data, "demo"), runs)
