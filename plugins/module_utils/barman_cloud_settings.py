# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Python reader of a member's backup settings (/etc/barman-cloud/settings.json, which
the barman_cloud role writes): the WAL archiver on the host reads them with it. The bash
scripts read the same file with common.sh's read_settings, the controller with from_json.
Hosts get a copy of this file (and of store_client), so it imports nothing from Ansible.
"""

from __future__ import annotations

import json

try:
    from ansible_collections.thalassa.dbaas.plugins.module_utils.store_client import CHECKSUM_ENVIRONMENT, barman_cloud_options
except ImportError:  # a copy on a host, beside a copy of store_client
    from store_client import CHECKSUM_ENVIRONMENT, barman_cloud_options  # pylint: disable=import-error

REQUIRED = ("destination_url", "server_name", "endpoint_url", "addressing_style", "credentials_file", "aws_config_file")


def parse(text: str) -> dict:
    """The settings in text; ValueError names what is missing or malformed."""
    settings = json.loads(text)
    if not isinstance(settings, dict):
        raise ValueError("the backup settings are not a JSON object")
    missing = [key for key in REQUIRED if not settings.get(key)]
    if missing:
        raise ValueError("the backup settings lack %s" % ", ".join(missing))
    return settings


def read(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return parse(handle.read())


def aws_environment(settings: dict) -> dict:
    """The AWS_* variables barman-cloud's boto3 takes these settings' store from: the
    credentials and AWS config files (region, CA bundle) and the checksum settings."""
    return dict(CHECKSUM_ENVIRONMENT, AWS_SHARED_CREDENTIALS_FILE=settings["credentials_file"],
                AWS_CONFIG_FILE=settings["aws_config_file"])


def cloud_arguments(settings: dict) -> list[str]:
    """barman-cloud-wal-archive's options and arguments for these settings' store and server."""
    arguments = barman_cloud_options(settings) + ["--read-timeout", str(settings.get("read_timeout") or 60)]
    compression = settings.get("compression") or "none"
    if compression != "none":
        arguments.append("--" + compression)
    return arguments + [settings["destination_url"], settings["server_name"]]
