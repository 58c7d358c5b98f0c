"""scripts/report.py, the table at the end of every test run: stage times, the slowest tests
and what the integration tests' ansible runs cost the controller, from the files the run left."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPORT = Path(__file__).resolve().parents[3] / "scripts" / "report.py"

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<testcase classname="tests.integration.test_a" name="test_quick" time="1.5"/>
<testcase classname="tests.integration.test_a" name="test_middle" time="12.0"/>
<testcase classname="tests.integration.test_b" name="test_slow" time="95.0"/>
</testsuite></testsuites>
"""


def report(directory: Path) -> str:
    completed = subprocess.run([sys.executable, str(REPORT), str(directory), "--slowest", "2"],
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_the_report_shows_stages_the_slowest_test_and_the_costliest_ansible_runs(tmp_path: Path):
    (tmp_path / "stages.tsv").write_text("lab\t151\tpassed\t37\nintegration: solo lane\t1200\tFAILED (1)\t100\n"
                                         "total\t1400\tFAILED (1)\n")
    (tmp_path / "junit-solo.xml").write_text(JUNIT)
    (tmp_path / "ansible-runs-1.tsv").write_text(
        "test_a::test_quick\tstatus --limit solo\t9.5\t4.5\n"
        "test_b::test_slow\tsite --limit solo --tags backups\t30.0\t14.0\n")
    (tmp_path / "ansible-runs-2.tsv").write_text("test_c::test_other\tstatus --limit solo\t10.5\t5.0\n")

    printed = report(tmp_path).splitlines()

    assert "  lab                        2:31   37%  passed" in printed
    assert "  integration: solo lane    20:00  100%  FAILED (1)" in printed
    assert "  total                     23:20        FAILED (1)" in printed  # written without a CPU figure
    assert "     95.0 s  solo       tests/integration/test_b.py::test_slow" in printed
    assert not any("test_quick" in line for line in printed)  # --slowest 2
    assert "The integration tests' 3 ansible runs took 0:24 of controller CPU; the costliest kinds:" in printed
    # The costliest first; the two status runs, from two files, sum to 9.5 s of CPU.
    costliest = printed[printed.index("The integration tests' 3 ansible runs took 0:24 of controller CPU; "
                                      "the costliest kinds:") + 1:]
    assert costliest[0].split() == ["0:14", "CPU", "0:30", "wall", "1", "x", "site", "--limit", "solo", "--tags", "backups"]
    assert costliest[1].split() == ["0:10", "CPU", "0:20", "wall", "2", "x", "status", "--limit", "solo"]


def test_an_empty_directory_is_reported_as_such(tmp_path: Path):
    completed = subprocess.run([sys.executable, str(REPORT), str(tmp_path)], capture_output=True, text=True,
                               timeout=60, check=False)
    assert completed.returncode != 0
    assert "nothing to report" in completed.stderr
