"""Every playbook that acts on one named cluster aims its plays at that cluster only when
the inventory has a group of that name, and otherwise at every cluster, whose first check
then fails with the list of clusters: a misspelt name must fail the job, not match no host
and succeed with nothing done. (tests/integration/test_cluster_names.py runs two of them.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
CLUSTER_INPUTS = {
    "backup": "backup_cluster",
    "deprovision_object_store": "deprovision_cluster",
    "failover": "failover_cluster",
    "rejoin": "rejoin_cluster",
    "replicate_backups": "replicate_cluster",
    "restore": "restore_destination_cluster | default(restore_cluster) | default('')",
    "restore_drill": "drill_cluster",
    "restore_point": "restore_point_cluster",
    "switchover": "switchover_cluster",
}


def plays(playbook: str) -> list[dict]:
    return yaml.safe_load((ROOT / "playbooks" / f"{playbook}.yml").read_text())


def first_checking_play(playbook: str) -> dict:
    """The first play whose first task is an assert: the play that checks the inputs."""
    return next(play for play in plays(playbook)
                if "ansible.builtin.assert" in play.get("tasks", [{}])[0])


@pytest.mark.parametrize("playbook", sorted(CLUSTER_INPUTS))
def test_the_checking_play_falls_back_to_every_cluster_for_an_unknown_name(playbook):
    variable = CLUSTER_INPUTS[playbook]
    hosts = " ".join(first_checking_play(playbook)["hosts"].split())
    if "|" in variable:
        expected = f"{{{{ {variable} if {variable} in groups else 'dbaas_clusters' }}}}"
    else:
        expected = f"{{{{ {variable} if {variable} | default('') in groups else 'dbaas_clusters' }}}}"
    assert hosts == expected


@pytest.mark.parametrize("playbook", sorted(CLUSTER_INPUTS))
def test_the_first_check_lists_the_clusters_and_compares_the_name(playbook):
    check = first_checking_play(playbook)["tasks"][0]["ansible.builtin.assert"]
    assert any(condition.startswith("dbaas_cluster_name ==") for condition in check["that"])
    assert "Clusters in this inventory:" in check["fail_msg"]


def test_every_playbook_with_a_cluster_input_is_listed():
    documented = {path.stem for path in (ROOT / "playbooks").glob("*.yml")
                  if any(f"-e {path.stem.split('_')[0]}" in line or "_cluster=" in line
                         for line in path.read_text().splitlines()[:30] if line.startswith("#"))}
    assert documented - {"site", "status"} == set(CLUSTER_INPUTS)
