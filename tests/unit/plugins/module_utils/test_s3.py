# -*- coding: utf-8 -*-
"""The one S3 client factory: timeouts and attempts come from the module's options, and a
store that never answers is told apart from one that answers no."""
from __future__ import annotations

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

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
