"""The playbooks run through ansible-runner the way AWX runs a job template: a private data
directory with the inventory, extravars and envvars, the playbook from the project checkout,
no TTY and nothing to answer; the result is read from the job events, as AWX reads it."""

from __future__ import annotations

import pytest

import json
import os
import shutil
from pathlib import Path

import ansible_runner
import yaml

from conftest import REPO_ROOT, docker_exec

pytestmark = pytest.mark.lane_solo

SOLO = "thalassa-lab-pg4"


def run_as_awx(tmp_path: Path, lab_inventory: Path, playbook: str, extravars: dict, cmdline: str | None = None):
    data = tmp_path / playbook.replace("/", "_")
    shutil.copytree(lab_inventory, data / "inventory")
    (data / "env").mkdir()
    (data / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    # What an execution environment provides: the installed collection and the configuration.
    (data / "env" / "envvars").write_text(yaml.safe_dump({
        "ANSIBLE_COLLECTIONS_PATH": os.environ["ANSIBLE_COLLECTIONS_PATH"],
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
    }))
    runner = ansible_runner.run(private_data_dir=str(data), project_dir=str(REPO_ROOT), playbook=playbook,
                                cmdline=cmdline, quiet=True, timeout=1200)
    return runner, list(runner.events)


def stats(events: list) -> dict:
    return next(event["event_data"] for event in events if event["event"] == "playbook_on_stats")


def task_result(events: list, task: str) -> dict:
    return next(event["event_data"]["res"] for event in events
                if event["event"] == "runner_on_ok" and event["event_data"].get("task") == task)


def test_deploy_in_check_mode_on_the_deployed_lab_predicts_no_change_and_prints_no_secret(
        tmp_path, lab_inventory, lab_secrets, untouched):
    """The deploy job template as a check job (AWX job type "check": --check, here with --diff),
    limited to the cluster with every option on (etcd over TLS, a CA of its own, backups, an
    off-site copy) and the drill host; Molecule's idempotence run covers the whole lab."""
    deploy, events = run_as_awx(tmp_path, lab_inventory, "playbooks/site.yml", {"barman_cloud_retention_days": "14"},
                                cmdline="--check --diff --limit solo,thalassa-lab-drill")
    output = deploy.stdout.read()
    assert deploy.status == "successful" and deploy.rc == 0, output
    summary = stats(events)
    assert set(summary["ok"]) == {SOLO, "thalassa-lab-drill"} and not summary["failures"] and not summary["dark"], summary
    assert not summary["changed"], summary["changed"]
    for secret in lab_secrets.values():
        assert str(secret) not in output


@pytest.mark.whole_lab
def test_status_and_backup_run_as_awx_runs_them(tmp_path, lab_inventory):
    status, events = run_as_awx(tmp_path, lab_inventory, "playbooks/status.yml", {"status_format": "json"})
    assert status.status == "successful", status.stdout.read()
    clusters = json.loads(task_result(events, "Print the state of every cluster as JSON")["msg"])["clusters"]
    assert [member["role"] for member in clusters["solo"]["members"]] == ["leader"]
    assert len(clusters["demo"]["members"]) == 3

    backups_before = docker_exec(SOLO, "/usr/local/bin/dbaas-backup-list", user="postgres").stdout
    backup, events = run_as_awx(tmp_path, lab_inventory, "playbooks/backup.yml",
                                {"backup_cluster": "solo", "backup_name": "from-runner"})
    assert backup.status == "successful", backup.stdout.read()
    printed = task_result(events, "Print the backup taken")["msg"]
    assert printed[0].endswith("(from-runner) of cluster solo: DONE"), printed
    assert stats(events)["changed"].get(SOLO) == 1
    listed = json.loads(docker_exec(SOLO, "/usr/local/bin/dbaas-backup-list", user="postgres").stdout)["backups_list"]
    assert len(listed) == len(json.loads(backups_before)["backups_list"]) + 1


def test_a_refused_input_fails_the_job_with_the_message_in_its_events(tmp_path, lab_inventory):
    refused, events = run_as_awx(tmp_path, lab_inventory, "playbooks/backup.yml",
                                 {"backup_cluster": "solo", "backup_name": "$(reboot)"})
    assert refused.status == "failed" and refused.rc != 0
    failures = [event["event_data"]["res"].get("msg", "") for event in events if event["event"] == "runner_on_failed"]
    assert any("Nothing was changed" in message for message in failures), failures
    assert not stats(events)["changed"]
