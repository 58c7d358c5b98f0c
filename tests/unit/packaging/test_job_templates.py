"""The AWX job templates as code (awx/job_templates.yml) ask exactly what their playbooks
document as inputs: every survey variable is an input the playbook documents and uses, every
documented input is in the survey (or named a launch-time input), required fields and
choices match the playbook's own words, and awx/configure.yml is a valid playbook."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = yaml.safe_load((ROOT / "awx" / "job_templates.yml").read_text())["controller_templates"]
INPUT = re.compile(r"-e (\w+)=")


def header(playbook: str) -> list[str]:
    lines = []
    for line in (ROOT / playbook).read_text().splitlines()[1:]:
        if not line.startswith("#"):
            break
        lines.append(line)
    return lines


def documented_inputs(playbook: str) -> dict[str, str]:
    """name -> its header line, for each '#   -e name=...' line of the playbook's header."""
    inputs = {}
    for line in header(playbook):
        if re.match(r"^#\s+-e \w+=", line):
            for name in INPUT.findall(line):
                inputs[name] = line
    return inputs


def questions(template: dict) -> dict[str, dict]:
    return {question["variable"]: question for question in template["survey_spec"]["spec"]}


@pytest.mark.parametrize("template", TEMPLATES, ids=[template["name"] for template in TEMPLATES])
def test_the_survey_asks_exactly_the_playbooks_documented_inputs(template):
    assert (ROOT / template["playbook"]).is_file()
    asked, at_launch = set(questions(template)), set(template.get("launch_time_inputs", []))
    assert not asked & at_launch
    assert asked | at_launch == set(documented_inputs(template["playbook"]))


@pytest.mark.parametrize("template", TEMPLATES, ids=[template["name"] for template in TEMPLATES])
def test_every_input_is_used_by_the_playbook_beyond_its_header(template):
    """In the playbook's plays, or in the collection's roles they include."""
    body = "\n".join((ROOT / template["playbook"]).read_text().splitlines()[len(header(template["playbook"])) + 1:])
    for role in sorted(set(re.findall(r"name: thalassa\.dbaas\.([a-z_]+)", body))):
        body += "".join(path.read_text() for path in sorted((ROOT / "roles" / role).glob("tasks/*.yml")))
    for name in documented_inputs(template["playbook"]):
        assert re.search(rf"\b{name}\b", body), f"{template['playbook']} documents {name} but never uses it"


@pytest.mark.parametrize("template", TEMPLATES, ids=[template["name"] for template in TEMPLATES])
def test_required_fields_and_choices_follow_the_playbook(template):
    documented = documented_inputs(template["playbook"])
    for name, question in questions(template).items():
        assert question["required"] == ("(required" in documented[name]), name
        for choice in question.get("choices", []):
            assert re.search(rf"[=|]{re.escape(str(choice))}\b", documented[name]), (name, choice)
        if question["type"] == "multiplechoice" and "default" in question:
            assert question["default"] in question["choices"], name


def test_restore_offers_every_target_kind_and_deprovision_asks_for_the_bucket_name():
    by_name = {template["name"]: template for template in TEMPLATES}
    restore = questions(by_name["DBaaS - restore"])
    assert {"restore_target", "restore_target_time", "restore_target_lsn", "restore_target_xid", "restore_target_name"} <= set(restore)
    assert restore["restore_target"]["choices"] == ["latest"]
    deprovision = by_name["DBaaS - deprovision object store"]
    assert questions(deprovision)["confirm_deprovision"]["required"]
    assert "confirm_deprovision == backup_object_store_bucket" in (ROOT / deprovision["playbook"]).read_text()
    retention = questions(by_name["DBaaS - deploy"])["barman_cloud_retention_days"]
    assert retention["choices"] == ["14", "30"] and "default" not in retention


def test_every_playbook_has_a_job_template():
    templated = {template["playbook"] for template in TEMPLATES}
    assert {f"playbooks/{path.name}" for path in (ROOT / "playbooks").glob("*.yml")} == templated


def test_configure_playbook_is_valid():
    playbook = shutil.which("ansible-playbook")
    result = subprocess.run([playbook, "--syntax-check", "-i", "localhost,", str(ROOT / "awx" / "configure.yml")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
