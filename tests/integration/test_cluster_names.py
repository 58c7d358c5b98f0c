"""A misspelt cluster name fails the job with the list of clusters, before anything
changes, rather than matching no host and succeeding with nothing done. Every playbook
with a cluster input is built the same way (tests/unit/packaging/test_cluster_name_inputs.py);
these run the plain case and restore's, whose destination defaults to its source."""

from __future__ import annotations

import pytest

from conftest import run_playbook

pytestmark = pytest.mark.whole_lab


@pytest.mark.parametrize("playbook, arguments", [
    ("backup", ["-e", "backup_cluster=dmeo"]),
    ("restore", ["-e", "restore_cluster=dmeo", "-e", "restore_target=latest"]),
])
def test_a_misspelt_cluster_name_fails_with_the_clusters_and_changes_nothing(lab_inventory, untouched, playbook, arguments):
    run = run_playbook(playbook, lab_inventory, *arguments)

    assert run.rc != 0, run.output
    assert "Clusters in this inventory: demo, solo." in " ".join(run.output.split()), run.output
    assert all(counts["changed"] == 0 for counts in run.recap().values()), run.output
