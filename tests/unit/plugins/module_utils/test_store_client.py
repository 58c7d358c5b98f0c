from __future__ import annotations

from ansible_collections.thalassa.dbaas.plugins.module_utils import store_client

CONNECTION = {"endpoint_url": "https://s3.example:9000", "region": "eu-west-1", "addressing_style": "path",
              "access_key": "AKIA", "secret_key": "secret"}


def test_barman_cloud_gets_the_connections_keys_region_and_no_profile_files():
    env = store_client.barman_cloud_env(CONNECTION, {"PATH": "/usr/bin", "AWS_PROFILE": "other"})
    assert env["PATH"] == "/usr/bin"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_DEFAULT_REGION"]) == ("AKIA", "secret", "eu-west-1")
    assert env["AWS_SHARED_CREDENTIALS_FILE"] == env["AWS_CONFIG_FILE"] == "/dev/null"
    assert env["AWS_REQUEST_CHECKSUM_CALCULATION"] == "when_required"


def test_barman_cloud_verifies_with_the_connections_ca_and_never_with_an_inherited_one():
    assert store_client.barman_cloud_env(dict(CONNECTION, ca_bundle="/etc/ca.pem"), {})["AWS_CA_BUNDLE"] == "/etc/ca.pem"
    assert "AWS_CA_BUNDLE" not in store_client.barman_cloud_env(CONNECTION, {"AWS_CA_BUNDLE": "/elsewhere.pem"})


def test_barman_cloud_options_name_the_endpoint_and_addressing_style():
    assert store_client.barman_cloud_options(dict(CONNECTION, addressing_style="virtual")) == [
        "--cloud-provider", "aws-s3", "--endpoint-url", "https://s3.example:9000", "--addressing-style", "virtual"]
    assert store_client.barman_cloud_options({"endpoint_url": "http://s3"})[-1] == "path"


def test_a_client_verifies_with_the_ca_bundle_and_uses_the_endpoint():
    client = store_client.make_client(dict(CONNECTION, ca_bundle=__file__))
    assert client.meta.endpoint_url == "https://s3.example:9000"
    assert client.meta.config.s3["addressing_style"] == "path"
    assert client.meta.config.connect_timeout == store_client.CONNECT_TIMEOUT
