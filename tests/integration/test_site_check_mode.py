"""A --limit that splits a cluster is refused. (site.yml in check mode on the deployed lab
runs as an AWX check job: test_ansible_runner.py.)"""

from __future__ import annotations

import pytest

from conftest import run_playbook

pytestmark = pytest.mark.whole_lab


def test_a_limit_that_splits_a_cluster_is_refused_before_anything(lab_inventory, untouched):
    run = run_playbook("site", lab_inventory, "--limit", "thalassa-lab-pg1")
    assert run.rc != 0
    assert ("This run leaves out thalassa-lab-pg2, thalassa-lab-pg3 of cluster demo" in " ".join(run.output.split())), run.output
    assert "Limit to whole clusters (--limit demo)" in " ".join(run.output.split())
    assert run.recap()["thalassa-lab-pg1"]["changed"] == 0
