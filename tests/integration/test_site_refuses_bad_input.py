"""site.yml refuses bad input before any host changes, with the message a user needs."""

from __future__ import annotations

import pytest

from conftest import run_playbook

pytestmark = pytest.mark.whole_lab


def assert_refused_without_change(run, lab_secrets, *expected):
    assert run.rc != 0, run.output
    for text in expected:
        assert text in run.output, run.output
    recap = run.recap()
    assert recap, run.output
    assert all(counters["changed"] == 0 for counters in recap.values()), recap
    for secret in lab_secrets.values():
        assert str(secret) not in run.output


def refused_demo_settings(make_inventory, lab_secrets, **settings) -> str:
    """site.yml with these settings for the demo cluster, refused before any change; its
    output with the line wrapping undone, for the message's checks."""
    run = run_playbook("site", make_inventory(group_vars={"demo": settings}))
    assert_refused_without_change(run, lab_secrets, "Nothing was changed")
    return " ".join(run.output.split())


def test_host_without_availability_zone_is_refused(make_inventory, lab_secrets, untouched):
    def drop_from_az(data):
        data["all"]["children"]["az1"]["hosts"].pop("thalassa-lab-pg1")

    run = run_playbook("site", make_inventory(drop_from_az))
    assert_refused_without_change(
        run, lab_secrets,
        "Placement refused before any change",
        "host thalassa-lab-pg1 has no availability zone: add it to exactly one of the AZ groups az1, az2, az3",
    )


def test_two_members_in_one_az_while_another_is_empty_is_refused(make_inventory, lab_secrets, untouched):
    def crowd_az2(data):
        zones = data["all"]["children"]
        zones["az3"]["hosts"].pop("thalassa-lab-pg3")
        zones["az2"]["hosts"]["thalassa-lab-pg3"] = None

    run = run_playbook("site", make_inventory(crowd_az2))
    assert_refused_without_change(
        run, lab_secrets,
        "cluster demo: 3 members cover 2 availability zone(s) but must cover 3",
        "az2 holds thalassa-lab-pg2, thalassa-lab-pg3",
        "while az3 hold(s) no member",
    )


@pytest.mark.parametrize(
    "variable", ["patroni_superuser_password", "patroni_replication_password", "patroni_rewind_password"]
)
def test_missing_password_is_refused_naming_the_variable(lab_inventory, lab_secrets, untouched, variable):
    run = run_playbook("site", lab_inventory, "-e", f"{variable}=")
    assert_refused_without_change(run, lab_secrets, f"{variable} is not set: set it")


def test_retention_of_zero_days_is_refused(make_inventory, lab_secrets, untouched):
    run = run_playbook("site", make_inventory(group_vars={"demo": {"barman_cloud_retention_days": 0}}))
    assert_refused_without_change(
        run, lab_secrets, "barman_cloud_retention_days between 1 and 3650 (14 and 30 are the usual; got 0)")


def test_object_store_without_endpoint_is_refused(make_inventory, lab_secrets, untouched):
    run = run_playbook("site", make_inventory(group_vars={"solo": {"backup_object_store_endpoint_url": ""}}))
    assert_refused_without_change(run, lab_secrets, "backup_object_store_endpoint_url (http:// or https://)")


def test_object_store_refusing_the_credentials_is_reported_before_any_change(make_inventory, lab_secrets, untouched):
    run = run_playbook("site", make_inventory(group_vars={"solo": {"backup_object_store_secret_key": "not-the-secret"}}))
    assert_refused_without_change(
        run, lab_secrets, "(403) when calling the HeadBucket operation", "The store refused these credentials",
        "backup_object_store_access_key/_secret_key")
    assert "not-the-secret" not in run.output


def test_the_dbaas_key_as_the_copys_read_only_key_is_refused(make_inventory, lab_secrets, untouched):
    dbaas_key = lab_secrets["backup_object_store_access_key"]
    run = run_playbook("site", make_inventory(group_vars={"solo": {"backup_replication_source_access_key": dbaas_key}}))
    assert_refused_without_change(
        run, lab_secrets, "backup_replication_source_access_key is the DBaaS service's own key",
        "give the key of a customer service account named in backup_object_store_customer_readers")


def test_a_source_store_refusing_the_copys_read_only_key_is_reported_before_any_change(make_inventory, lab_secrets,
                                                                                       untouched):
    run = run_playbook("site", make_inventory(group_vars={"solo": {"backup_replication_source_secret_key": "not-the-secret"}}))
    assert_refused_without_change(
        run, lab_secrets, "Check that the source store accepts the read-only key", "The store refused these credentials",
        "backup_replication_source_*")
    assert "not-the-secret" not in run.output


def test_a_store_certificate_the_given_ca_did_not_sign_is_refused_before_any_change(
        make_inventory, lab_secrets, lab_offsite, lab_s3, untouched):
    policy_before = lab_s3.get_bucket_policy(Bucket="solo-backups")["Policy"]
    # The off-site store's CA is a real CA file, but not the one that signed the main store's certificate.
    run = run_playbook("site", make_inventory(group_vars={"solo": {"backup_object_store_ca_bundle": lab_offsite["ca_bundle"]}}))
    assert_refused_without_change(
        run, lab_secrets, "presented a certificate that could not be verified", "CERTIFICATE_VERIFY_FAILED",
        "Set backup_object_store_ca_bundle")
    assert lab_s3.get_bucket_policy(Bucket="solo-backups")["Policy"] == policy_before


def test_an_https_store_without_certificate_checks_is_refused_naming_the_ca_variable(make_inventory, lab_secrets, untouched):
    run = run_playbook("site", make_inventory(group_vars={"solo": {"backup_object_store_validate_certs": False}}))
    assert_refused_without_change(
        run, lab_secrets, "barman-cloud on the hosts cannot skip certificate verification",
        "Set backup_object_store_ca_bundle to a PEM file on the controller")


@pytest.mark.parametrize("variable, message", [
    ("backup_object_store_ca_bundle", "backup_object_store_ca_bundle is /nonexistent/store-ca.pem, which is not a file on the controller"),
    ("backup_replication_copy_ca_bundle", "backup_replication_copy_ca_bundle must be a PEM file on the controller"),
])
def test_a_ca_bundle_that_is_not_a_file_is_refused_naming_the_variable(make_inventory, lab_secrets, untouched, variable, message):
    run = run_playbook("site", make_inventory(group_vars={"solo": {variable: "/nonexistent/store-ca.pem"}}))
    assert_refused_without_change(run, lab_secrets, message, "Nothing was changed")


def test_a_prefix_the_backup_scripts_could_not_read_back_is_refused_before_the_bucket_policy_changes(
        make_inventory, lab_secrets, lab_s3, untouched):
    """settings.json is read by bash (archive_command, once per segment) with builtins only. The
    check runs in site.yml's first play: once it ran only where barman-cloud is configured,
    after the bucket policy had been scoped to the new prefix."""
    policy_before = lab_s3.get_bucket_policy(Bucket="solo-backups")["Policy"]
    run = run_playbook("site", make_inventory(group_vars={"solo": {"backup_object_store_prefix": 'solo"x'}}))
    assert_refused_without_change(
        run, lab_secrets, "backup_object_store_prefix hold a double quote, a backslash or a character outside printable ASCII")
    assert "Check inputs and placement before anything changes" in run.output.split("hold a double quote")[0].rsplit("PLAY [", 1)[1]
    assert lab_s3.get_bucket_policy(Bucket="solo-backups")["Policy"] == policy_before


@pytest.mark.parametrize("variable", ["haproxy_read_write_port", "haproxy_read_only_port"])
def test_an_endpoint_port_that_postgresql_already_listens_on_is_refused(make_inventory, lab_secrets, untouched, variable):
    run = run_playbook("site", make_inventory(group_vars={"demo": {variable: 5432}}))
    assert_refused_without_change(run, lab_secrets, "Nothing was changed")
    assert f"which the members already listen on: {variable} clash" in " ".join(run.output.split()), run.output


def test_a_virtual_ip_outside_the_members_network_is_refused_naming_the_variable(make_inventory, lab_secrets, untouched):
    text = refused_demo_settings(make_inventory, lab_secrets, dbaas_virtual_ip="10.99.0.5")
    assert "keepalived_virtual_ip (dbaas_virtual_ip in site.yml) 10.99.0.5 cannot be the virtual IP" in text, text
    assert "is outside the network of this host (172.30.77.0/24" in text


def test_a_pool_size_of_zero_is_refused_naming_the_variable(make_inventory, lab_secrets, untouched):
    text = refused_demo_settings(make_inventory, lab_secrets, pgbouncer_default_pool_size=0)
    assert "pgbouncer_default_pool_size and pgbouncer_max_client_conn must be 1 or more" in text, text
    assert "(got 0, 500," in text, text


def test_a_pooler_without_the_client_endpoints_is_refused_naming_both_variables(make_inventory, lab_secrets, untouched):
    text = refused_demo_settings(make_inventory, lab_secrets, dbaas_client_endpoints=False)
    assert "dbaas_pooler needs dbaas_client_endpoints" in text, text
    assert "set dbaas_client_endpoints to true or dbaas_pooler to false" in text


def test_an_etcd_election_timeout_under_five_heartbeats_is_refused_naming_both(make_inventory, lab_secrets, untouched):
    text = refused_demo_settings(make_inventory, lab_secrets, etcd_election_timeout=300)
    assert "etcd_election_timeout (300 ms) must be at least 5 times etcd_heartbeat_interval (100 ms" in text, text
