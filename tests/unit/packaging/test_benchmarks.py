"""Every benchmark answers --help with what it measures and which lab it needs, without a
lab: its imports and argument parsing work on a machine where nothing is up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"
SCRIPTS = sorted(path for path in BENCHMARKS.iterdir() if path.suffix in (".py", ".sh"))


def test_there_are_benchmarks():
    assert {path.name for path in SCRIPTS} >= {"failover.py", "restore.py", "wal_archive.py", "offsite_copy.py"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_help_says_which_lab_it_needs(script: Path, tmp_path: Path):
    interpreter = [sys.executable] if script.suffix == ".py" else ["bash"]
    # No lab here: --help must not read the inventory or call docker.
    env = dict(os.environ, LAB_STATE_DIR=str(tmp_path / "no-lab"), PATH=os.defpath)
    completed = subprocess.run(interpreter + [str(script), "--help"], capture_output=True, text=True,
                               env=env, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    assert "scripts/demo" in completed.stdout, completed.stdout
