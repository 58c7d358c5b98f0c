"""On a deployed lab, site.yml in check mode predicts no change, and changes nothing; a
--limit that splits a cluster is refused."""

from __future__ import annotations

from conftest import run_playbook


def test_check_mode_on_a_deployed_lab_reports_no_change(lab_inventory, lab_secrets, untouched):
    run = run_playbook("site", lab_inventory, "--check", "--diff")
    assert run.rc == 0, run.output
    recap = run.recap()
    assert len(recap) == 4, recap
    assert all(counters["changed"] == 0 and counters["failed"] == 0 for counters in recap.values()), recap
    for secret in lab_secrets.values():
        assert str(secret) not in run.output


def test_a_limit_that_splits_a_cluster_is_refused_before_anything(lab_inventory, untouched):
    run = run_playbook("site", lab_inventory, "--limit", "thalassa-lab-pg1")
    assert run.rc != 0
    assert ("This run leaves out thalassa-lab-pg2, thalassa-lab-pg3 of cluster demo" in " ".join(run.output.split())), run.output
    assert "Limit to whole clusters (--limit demo)" in " ".join(run.output.split())
    assert run.recap()["thalassa-lab-pg1"]["changed"] == 0
