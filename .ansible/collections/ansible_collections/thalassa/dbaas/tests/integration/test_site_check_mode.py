"""On a deployed lab, site.yml in check mode predicts no change, and changes nothing."""

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
