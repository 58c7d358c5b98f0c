"""The backup settings file, written as Ansible's to_nice_json writes it, read by each of its
readers: Python (the WAL archiver's) and bash (common.sh's read_settings, rendered here as
the role renders it)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jinja2
import pytest

from ansible_collections.thalassa.dbaas.plugins.module_utils import barman_cloud_settings

COMMON_SH = Path(__file__).resolve().parents[4] / "roles" / "barman_cloud" / "templates" / "common.sh.j2"
SETTINGS = {
    "bucket": "demo-backups", "prefix": "", "destination_url": "s3://demo-backups/", "server_name": "demo-20261203T101010",
    "endpoint_url": "https://172.30.77.2:9000", "addressing_style": "path", "region": "us-east-1",
    "ca_bundle": "/etc/barman-cloud/store-ca.pem", "credentials_file": "/etc/barman-cloud/credentials",
    "aws_config_file": "/etc/barman-cloud/aws-config", "barman_bin": "/opt/barman-cloud/bin", "read_timeout": 15,
    "compression": "zstd", "backup_compression": "none", "archiver_spool": "", "retention_days": 14,
    "patroni_api_url": "http://127.0.0.1:8008",
}


def written(settings: dict) -> str:
    return json.dumps(settings, indent=2, sort_keys=True) + "\n"  # to_nice_json(indent=2)


def test_python_reads_what_the_role_writes_and_builds_barman_clouds_arguments():
    settings = barman_cloud_settings.parse(written(SETTINGS))
    assert barman_cloud_settings.cloud_arguments(settings) == [
        "--cloud-provider", "aws-s3", "--endpoint-url", "https://172.30.77.2:9000", "--addressing-style", "path",
        "--read-timeout", "15", "--zstd", "s3://demo-backups/", "demo-20261203T101010"]
    assert barman_cloud_settings.aws_environment(settings)["AWS_CONFIG_FILE"] == "/etc/barman-cloud/aws-config"


@pytest.mark.parametrize("text, message", [
    ("[]", "not a JSON object"),
    (written(dict(SETTINGS, server_name="")), "lack server_name"),
    (written({key: value for key, value in SETTINGS.items() if key != "endpoint_url"}), "lack endpoint_url"),
])
def test_python_refuses_settings_it_cannot_use(text, message):
    with pytest.raises(ValueError, match=message):
        barman_cloud_settings.parse(text)


def bash_reads(tmp_path, text: str, script: str) -> subprocess.CompletedProcess:
    path = tmp_path / "settings.json"
    path.write_text(text, encoding="utf-8")
    common = jinja2.Template(COMMON_SH.read_text(encoding="utf-8")).render(__barman_cloud_settings_file=str(path))
    return subprocess.run(["bash", "-c", "set -euo pipefail\n" + common + "\n" + script], capture_output=True, text=True, check=False)


def test_bash_reads_what_the_role_writes(tmp_path):
    result = bash_reads(tmp_path, written(SETTINGS), 'printf "%s|" "$BARMAN_CLOUD_SERVER" "$BARMAN_CLOUD_ARCHIVER_SPOOL" '
                        '"$BARMAN_CLOUD_RETENTION_DAYS" "$AWS_SHARED_CREDENTIALS_FILE" "${cloud_options[*]}" "${compression_options[*]}"')
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("|")[:6] == [
        "demo-20261203T101010", "", "14", "/etc/barman-cloud/credentials",
        "--cloud-provider aws-s3 --endpoint-url https://172.30.77.2:9000 --addressing-style path --read-timeout 15", "--zstd"]


def test_bash_refuses_a_value_it_would_have_to_guess_at(tmp_path):
    result = bash_reads(tmp_path, written(dict(SETTINGS, prefix='with "quotes"')), "echo read")
    assert result.returncode == 3 and "cannot read the line" in result.stderr and "read" not in result.stdout


def test_bash_says_what_to_run_when_there_are_no_settings(tmp_path):
    result = subprocess.run(["bash", "-c", jinja2.Template(COMMON_SH.read_text(encoding="utf-8")).render(
        __barman_cloud_settings_file=str(tmp_path / "missing.json"))], capture_output=True, text=True, check=False)
    assert result.returncode == 3 and "run site.yml" in result.stderr
