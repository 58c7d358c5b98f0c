"""execution-environment.yml makes a valid ansible-builder context: the collection tarball
this checkout builds, its collection dependencies and the controller's Python packages."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]


def pinned(package: str) -> str:
    """package==version as requirements.txt pins it."""
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.split("==")[0].split("[")[0] == package:
            return line
    raise AssertionError(f"{package} is not pinned in requirements.txt")


def test_the_ee_installs_the_tarball_of_this_collection_version():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    definition = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    tarball = f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz"
    assert definition["additional_build_files"][0]["src"] == f".build/dist/{tarball}"
    collections = definition["dependencies"]["galaxy"]["collections"]
    assert collections[0]["name"].endswith("/" + tarball)
    assert set(galaxy["dependencies"]) <= {item["name"] for item in collections}


def test_the_ee_pins_what_the_controller_is_tested_with():
    definition = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    assert definition["dependencies"]["ansible_core"]["package_pip"] == pinned("ansible-core")
    assert definition["dependencies"]["ansible_runner"]["package_pip"] == pinned("ansible-runner")
    for package in ("boto3", "psycopg2-binary"):
        assert pinned(package) in definition["dependencies"]["python"]


def test_ansible_builder_creates_a_build_context(tmp_path):
    tarballs = list((ROOT / ".build" / "dist").glob("thalassa-dbaas-*.tar.gz"))
    if not tarballs:
        pytest.fail("no collection tarball in .build/dist: run scripts/test venv first")
    builder = shutil.which("ansible-builder")
    assert builder, "ansible-builder is not installed (requirements.txt)"
    context = tmp_path / "context"
    result = subprocess.run([builder, "create", "-f", str(ROOT / "execution-environment.yml"), "-c", str(context)],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # Named for the container runtime found: Dockerfile here, Containerfile with podman.
    containerfile = next(context / name for name in ("Containerfile", "Dockerfile") if (context / name).exists()).read_text()
    assert 'EE_BASE_IMAGE="quay.io/ansible/awx-ee:' in containerfile
    assert "COPY _build/thalassa/ /tmp/thalassa/" in containerfile
    assert (context / "_build" / "thalassa" / tarballs[0].name).exists()
    requirements = (context / "_build" / "requirements.txt").read_text()
    assert "boto3==" in requirements and "psycopg2-binary==" in requirements
    assert "community.postgresql" in (context / "_build" / "requirements.yml").read_text()
