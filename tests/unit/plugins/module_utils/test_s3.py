# -*- coding: utf-8 -*-
"""The one S3 client factory: timeouts and attempts come from the module's options, and a
store that never answers is told apart from one that answers no."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError, SSLError

from ansible_collections.thalassa.dbaas.plugins.module_utils import s3

DEFAULTS = {name: spec.get("default") for name, spec in s3.s3_argument_spec().items()}


def test_the_defaults_wait_long_for_a_slow_store():
    config = s3.client_config({**DEFAULTS, "endpoint_url": "https://store.example"})
    assert (config.connect_timeout, config.read_timeout, config.retries["max_attempts"]) == (10, 60, 6)
    assert config.s3 == {"addressing_style": "path"}


def test_short_timeouts_bound_the_wait_for_a_frozen_store():
    params = {**DEFAULTS, "connect_timeout": 5, "read_timeout": 5, "max_attempts": 2, "addressing_style": "virtual"}
    config = s3.client_config(params)
    assert (config.connect_timeout, config.read_timeout, config.retries["max_attempts"]) == (5, 5, 2)
    assert config.s3 == {"addressing_style": "virtual"}
    assert s3.answer_deadline_seconds(params) == 20
    assert s3.answer_deadline_seconds(DEFAULTS) == 420


def test_no_answer_is_not_a_refusal():
    assert s3.store_did_not_answer(ReadTimeoutError(endpoint_url="https://store.example"))
    assert s3.store_did_not_answer(ConnectTimeoutError(endpoint_url="https://store.example"))
    assert s3.store_did_not_answer(EndpointConnectionError(endpoint_url="https://store.example"))
    refused = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListObjectsV2")
    assert not s3.store_did_not_answer(refused)
    assert s3.error_code(refused) == "AccessDenied"


class _Failed(Exception):
    pass


class _Module:
    """What fail_request needs of an AnsibleModule: its params and fail_json."""

    def __init__(self, params):
        self.params = params

    def fail_json(self, **result):
        raise _Failed(result)


def test_a_ca_bundle_that_is_not_there_is_refused_before_any_request_naming_the_variable():
    params = {**DEFAULTS, "endpoint_url": "https://store.example", "ca_bundle": "/etc/thalassa/store-ca.pem"}
    refusal = s3.tls_settings_refusal(params, is_file=lambda path: False)
    assert "The CA bundle /etc/thalassa/store-ca.pem for the object store at https://store.example is not a file" in refusal
    assert "backup_object_store_ca_bundle" in refusal and "Nothing was changed." in refusal
    assert s3.tls_settings_refusal(params, is_file=lambda path: path == "/etc/thalassa/store-ca.pem") == ""
    assert s3.tls_settings_refusal({**params, "ca_bundle": None}, is_file=lambda path: False) == ""


def test_an_unverified_https_store_is_warned_about_and_plain_http_or_verified_https_is_not():
    https = {**DEFAULTS, "endpoint_url": "https://store.example"}
    warning = s3.tls_settings_warning({**https, "validate_certs": False})
    assert "https://store.example is not verified (validate_certs false)" in warning
    assert "backup_object_store_ca_bundle" in warning
    assert s3.tls_settings_warning(https) == ""
    assert s3.tls_settings_warning({**DEFAULTS, "endpoint_url": "http://store.example", "validate_certs": False}) == ""


def test_a_certificate_that_does_not_verify_fails_naming_the_ca_variable_not_as_an_outage():
    module = _Module({**DEFAULTS, "endpoint_url": "https://store.example"})
    error = SSLError(endpoint_url="https://store.example", error="certificate verify failed: self-signed certificate")
    with pytest.raises(_Failed) as failed:
        s3.fail_request(module, "bucket solo-backups", error)
    result = failed.value.args[0]
    assert result["unreachable_store"] is False
    assert "presented a certificate that could not be verified for bucket solo-backups" in result["msg"]
    assert "certificate verify failed" in result["msg"] and "backup_object_store_ca_bundle" in result["msg"]


def test_verification_off_wins_over_a_ca_bundle_and_a_ca_bundle_over_the_system_cas():
    assert s3.tls_verify({"validate_certs": False, "ca_bundle": "/etc/thalassa/store-ca.pem"}) is False
    assert s3.tls_verify({"validate_certs": True, "ca_bundle": "/etc/thalassa/store-ca.pem"}) == "/etc/thalassa/store-ca.pem"
    assert s3.tls_verify({"validate_certs": True, "ca_bundle": None}) is True
