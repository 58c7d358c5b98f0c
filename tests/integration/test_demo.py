"""scripts/demo's steps after site.yml, on the lab's demo cluster: one off-site copy, one
restore drill, then status. A fresh demo ends with nothing that needs attention, and no
playbook prints a deprecation warning."""

from __future__ import annotations

import pytest

from conftest import run_playbook, status_json

pytestmark = pytest.mark.whole_lab


def demo_steps() -> list[tuple[str, ...]]:
    """The playbook runs of scripts/demo after site.yml, read from the script itself."""
    from conftest import REPO_ROOT  # pylint: disable=import-outside-toplevel

    steps = []
    for line in (REPO_ROOT / "scripts" / "demo").read_text().splitlines():
        words = line.split()
        if words[:1] == ["ansible-playbook"] and "thalassa.dbaas.site" not in words:
            playbook = next(word for word in words if word.startswith("thalassa.dbaas.")).split(".")[-1]
            steps.append((playbook, *words[words.index("thalassa.dbaas." + playbook) + 1:]))
    return steps


def test_the_demos_steps_end_green_without_deprecation_warnings(lab_inventory):
    steps = demo_steps()
    assert [step[0] for step in steps] == ["replicate_backups", "restore_drill", "status"], steps
    for playbook, *arguments in steps:
        run = run_playbook(playbook, lab_inventory, *arguments)
        assert run.rc == 0, run.output
        assert "DEPRECATION" not in run.output, run.output
    table = " ".join(run.output.split())
    demo_table = table.split("Cluster demo", 1)[1].split("Cluster solo", 1)[0]
    assert "Restore drill: passed at" in demo_table and "Attention: none" in demo_table, demo_table
    demo = status_json(lab_inventory)["demo"]
    assert demo["attention"] == [] and demo["worst"] == "ok", demo["attention"]
