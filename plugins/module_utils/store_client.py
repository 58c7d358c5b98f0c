# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How every part of the collection connects to an S3-compatible store: the controller's
modules (through s3.py) and the scripts on the hosts (the off-site copy, the restore drill),
which get a copy of this file beside them. So it imports nothing from Ansible.

A connection is a dict: endpoint_url, region, addressing_style, access_key, secret_key,
session_token, validate_certs, ca_bundle, and optionally connect_timeout, read_timeout and
max_attempts. A missing or empty key means the default (boto3's own credential chain for
the keys, the system's CAs for ca_bundle).
"""

from __future__ import annotations

try:
    import boto3
    from botocore.config import Config
    # re-exported: backup_store catches it
    from botocore.exceptions import ClientError  # pylint: disable=unused-import

    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None
except ImportError as import_error:  # s3.py reports it; a host script fails at its first client
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = import_error
    ClientError = Exception

# Checksums only when an operation needs one: several S3-compatible stores reject the default ones.
CHECKSUM_ENVIRONMENT = {"AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
                        "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required"}

# One home for the connection's waiting defaults: the modules' argument spec and every client.
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
MAX_ATTEMPTS = 6


def client_config(connection: dict) -> "Config":
    # Recent botocore adds CRC checksums to every request by default; several
    # S3-compatible stores reject them, so send them only when an operation needs one.
    return Config(
        retries={"max_attempts": connection.get("max_attempts") or MAX_ATTEMPTS, "mode": "standard"},
        s3={"addressing_style": connection.get("addressing_style") or "path"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        connect_timeout=connection.get("connect_timeout") or CONNECT_TIMEOUT,
        read_timeout=connection.get("read_timeout") or READ_TIMEOUT,
    )


def answer_deadline_seconds(connection: dict) -> int:
    """The longest one request may wait for a store that accepts connections and never
    answers: every attempt waits for the connection and then for the answer."""
    config = client_config(connection)
    return config.retries["max_attempts"] * (config.connect_timeout + config.read_timeout)


def tls_verify(connection: dict):
    """boto3's verify: False when validation is off (even with a CA given), else the CA
    bundle, else True (the system's CAs)."""
    if not connection.get("validate_certs", True):
        return False
    return connection.get("ca_bundle") or True


def make_client(connection: dict):
    session = boto3.session.Session(
        aws_access_key_id=connection.get("access_key") or None,
        aws_secret_access_key=connection.get("secret_key") or None,
        aws_session_token=connection.get("session_token") or None,
        region_name=connection.get("region") or None,
    )
    return session.client("s3", endpoint_url=connection["endpoint_url"], config=client_config(connection),
                          verify=tls_verify(connection))


def barman_cloud_env(connection: dict, base: dict) -> dict:
    """The environment for a barman-cloud command on this connection: its keys and region
    (and no profile files that could add others), its CA, and the checksum settings."""
    env = dict(base, AWS_ACCESS_KEY_ID=connection["access_key"], AWS_SECRET_ACCESS_KEY=connection["secret_key"],
               AWS_DEFAULT_REGION=connection.get("region") or "us-east-1",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_CONFIG_FILE="/dev/null", **CHECKSUM_ENVIRONMENT)
    env.pop("AWS_CA_BUNDLE", None)
    if connection.get("ca_bundle"):
        env["AWS_CA_BUNDLE"] = connection["ca_bundle"]
    return env


def barman_cloud_options(connection: dict) -> list[str]:
    """barman-cloud's own connection options for this store."""
    return ["--cloud-provider", "aws-s3", "--endpoint-url", connection["endpoint_url"],
            "--addressing-style", connection.get("addressing_style") or "path"]


def error_code(error: Exception) -> str:
    """The S3 error code of a botocore ClientError ('NoSuchBucket', ...), else ''."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def is_error_code(error: Exception, *codes: str) -> bool:
    return error_code(error) in codes
