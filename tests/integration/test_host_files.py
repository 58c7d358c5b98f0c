"""thalassa.dbaas.host_files on a lab host: a set of files written in one module run, a second
run that changes nothing, drift in content or mode put back and named, and check mode and
--diff that tell the truth without writing."""

from __future__ import annotations

import json
import os

import pytest

from conftest import docker_exec, timed_run

pytestmark = pytest.mark.lane_solo

HOST = "thalassa-lab-drill"
DIRECTORY = "/tmp/host-files-test"


def host_files(lab_inventory, *flags: str, **arguments) -> dict:
    """One ad-hoc run of the module on HOST; its result for HOST."""
    completed = timed_run(
        "module host_files",
        ["ansible", HOST, "-i", str(lab_inventory), "-m", "thalassa.dbaas.host_files",
         "-a", json.dumps({"dest_dir": DIRECTORY, "owner": "root", "group": "postgres", "mode": "0640", **arguments}),
         *flags],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
             "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"},
    )
    events = json.loads(completed.stdout[completed.stdout.index("{"):])
    return events["plays"][0]["tasks"][0]["hosts"][HOST]


def listing() -> str:
    return docker_exec(HOST, "sh", "-c", f"cd {DIRECTORY} && stat -c '%n %U %G %a' * && cat a.conf b.conf").stdout


def test_a_set_is_written_once_and_drift_is_put_back_and_named(lab_inventory):
    docker_exec(HOST, "sh", "-c", f"rm -rf {DIRECTORY} && mkdir {DIRECTORY}")
    files = {"a.conf": "alpha\n", "b.conf": "beta\n"}

    planned = host_files(lab_inventory, "--check", "--diff", files=files)
    assert planned["changed"] and planned["changed_files"] == [f"{DIRECTORY}/a.conf", f"{DIRECTORY}/b.conf"]
    assert docker_exec(HOST, "ls", "-A", DIRECTORY).stdout == "", "check mode wrote files"

    written = host_files(lab_inventory, files=files)
    assert written["changed"], written
    assert listing() == "a.conf root postgres 640\nb.conf root postgres 640\nalpha\nbeta\n"

    again = host_files(lab_inventory, files=files)
    assert not again["changed"] and again["changed_files"] == [], again

    docker_exec(HOST, "sh", "-c", f"echo edited > {DIRECTORY}/a.conf && chmod 0666 {DIRECTORY}/b.conf")
    shown = host_files(lab_inventory, "--check", "--diff", files=files)
    assert shown["changed_files"] == [f"{DIRECTORY}/a.conf", f"{DIRECTORY}/b.conf"]
    content = [diff for diff in shown["diff"] if diff.get("before") == "edited\n"]
    assert content and content[0]["after"] == "alpha\n", shown["diff"]
    assert {"before": {"mode": "0666"}, "after": {"mode": "0640"}}.items() <= next(
        diff for diff in shown["diff"] if diff["after_header"].endswith("b.conf")).items(), shown["diff"]
    assert "edited" in listing(), "check mode put the file back"

    repaired = host_files(lab_inventory, files=files)
    assert repaired["changed_files"] == [f"{DIRECTORY}/a.conf", f"{DIRECTORY}/b.conf"]
    assert listing() == "a.conf root postgres 640\nb.conf root postgres 640\nalpha\nbeta\n"


def test_a_missing_directory_is_refused_naming_it(lab_inventory):
    refused = host_files(lab_inventory, dest_dir="/nonexistent/dir", files={"a.conf": "x\n"})
    assert refused.get("failed") and "/nonexistent/dir is not a directory" in refused["msg"], refused
