# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ansible side of the collection's store connection.

Every module takes the same connection options (s3_argument_spec, which the action group
thalassa.dbaas.object_store lets a play set once with module_defaults) and gets its client
from s3_client(), which is store_client.make_client: the one client the host scripts use
too. Credentials come from the options or from the usual AWS environment variables.
"""

from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.thalassa.dbaas.plugins.module_utils.store_client import (  # pylint: disable=unused-import
    BOTO3_IMPORT_ERROR,
    CONNECT_TIMEOUT,
    HAS_BOTO3,
    MAX_ATTEMPTS,
    READ_TIMEOUT,
    answer_deadline_seconds,
    client_config,
    error_code,
    is_error_code,
    make_client as s3_client,
    tls_verify,
)

try:
    # re-exported: modules catch these through this module
    from botocore.exceptions import BotoCoreError, ClientError  # pylint: disable=unused-import
    from botocore.exceptions import ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
    from botocore.exceptions import SSLError

    UNANSWERED_ERRORS = (ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError)
except ImportError:  # reported by the module with missing_required_lib
    BotoCoreError = ClientError = Exception
    UNANSWERED_ERRORS = ()
    SSLError = ()


def s3_argument_spec() -> dict:
    return dict(
        endpoint_url=dict(type="str", required=True),
        region=dict(type="str", default="us-east-1"),
        addressing_style=dict(type="str", default="path", choices=["path", "virtual", "auto"]),
        access_key=dict(type="str", no_log=True, fallback=(env_fallback, ["AWS_ACCESS_KEY_ID"])),
        secret_key=dict(type="str", no_log=True, fallback=(env_fallback, ["AWS_SECRET_ACCESS_KEY"])),
        session_token=dict(type="str", no_log=True, fallback=(env_fallback, ["AWS_SESSION_TOKEN"])),
        validate_certs=dict(type="bool", default=True),
        ca_bundle=dict(type="path"),
        connect_timeout=dict(type="int", default=CONNECT_TIMEOUT),
        read_timeout=dict(type="int", default=READ_TIMEOUT),
        max_attempts=dict(type="int", default=MAX_ATTEMPTS),
    )


def backups_argument_spec() -> dict:
    """Where a cluster's backups are in the store (doc fragment thalassa.dbaas.s3.backups)."""
    return dict(bucket=dict(type="str", required=True), prefix=dict(type="str", default=""))


def s3_module(argument_spec: dict) -> AnsibleModule:
    """An AnsibleModule with the shared connection options, failing early without boto3 or
    with a CA bundle that is not there."""
    spec = s3_argument_spec()
    spec.update(argument_spec)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    if not HAS_BOTO3:
        module.fail_json(msg=missing_required_lib("boto3"), exception=str(BOTO3_IMPORT_ERROR))
    refusal = tls_settings_refusal(module.params, os.path.isfile)
    if refusal:
        module.fail_json(msg=refusal)
    warning = tls_settings_warning(module.params)
    if warning:
        module.warn(warning)  # the controller shows one warning once per run
    return module


CA_HINT = ("backup_object_store_ca_bundle (the module's ca_bundle) to a PEM file on the controller that holds the CA "
           "which signed the store's certificate")


def tls_settings_refusal(params: dict, is_file) -> str:
    """Why these TLS settings cannot work, before any request; '' when they can."""
    ca_bundle = params.get("ca_bundle")
    if ca_bundle and not is_file(ca_bundle):
        return ("The CA bundle %s for the object store at %s is not a file where this module runs. Set %s. "
                "Nothing was changed." % (ca_bundle, params.get("endpoint_url"), CA_HINT))
    return ""


def tls_settings_warning(params: dict) -> str:
    if params.get("validate_certs", True) or not str(params.get("endpoint_url", "")).lower().startswith("https://"):
        return ""
    return ("The certificate of the object store at %s is not verified (validate_certs false): whoever sits between "
            "this host and the store can read and change backups. Set %s instead." % (params["endpoint_url"], CA_HINT))


CREDENTIAL_ERRORS = ("SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidClientTokenId", "AccessDenied", "403")


def store_did_not_answer(error: Exception) -> bool:
    """No answer at all (refused or timed-out connection, no response in read_timeout),
    as opposed to an answer that says no."""
    return isinstance(error, UNANSWERED_ERRORS)


def fail_request(module: AnsibleModule, what: str, error: Exception) -> None:
    """Report a failed S3 request with the endpoint and the store's error code; a store
    that did not answer is reported as unreachable (result key unreachable_store)."""
    if store_did_not_answer(error):
        module.fail_json(
            msg="The object store at %s did not answer for %s within %s s (%d attempts, connect_timeout %s s, "
                "read_timeout %s s): %s." % (
                    module.params["endpoint_url"], what, answer_deadline_seconds(module.params), module.params["max_attempts"],
                    module.params["connect_timeout"], module.params["read_timeout"], error),
            error_code="", unreachable_store=True,
        )
    if isinstance(error, SSLError):  # never without botocore: isinstance(x, ()) is False
        module.fail_json(
            msg="The object store at %s presented a certificate that could not be verified for %s: %s. Set %s; "
                "with validate_certs false nothing is verified (not for production)." % (
                    module.params["endpoint_url"], what, error, CA_HINT),
            error_code="", unreachable_store=False,
        )
    hint = ""
    if is_error_code(error, *CREDENTIAL_ERRORS):
        hint = (
            " The store refused these credentials: check the access key and secret key given for it"
            " (backup_object_store_access_key/_secret_key, or restore_source_access_key/_secret_key"
            " for a restore from another store, backup_replication_source_* or backup_replication_copy_*"
            " for the off-site copy) and what they may do."
        )
    module.fail_json(
        msg="S3 request for %s at %s failed: %s.%s" % (what, module.params["endpoint_url"], error, hint),
        error_code=error_code(error), unreachable_store=False,
    )
