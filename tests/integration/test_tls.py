"""TLS on the lab: a CA the user passes in (cluster "solo", lab option own_ca) signs the
certificate clients verify, and a renewed certificate is served after a reload, without
a restart of PostgreSQL."""

from __future__ import annotations

import subprocess

import psycopg2
import pytest
import yaml

from conftest import docker_exec, host_ip, psql, run_playbook

pytestmark = pytest.mark.lane_solo

SOLO_HOST = "thalassa-lab-pg4"
DEMO_REPLICA_CANDIDATES = ["thalassa-lab-pg2", "thalassa-lab-pg3"]


def served_certificate(address: str) -> str:
    """The certificate PostgreSQL presents during its TLS handshake, as PEM."""
    completed = subprocess.run(
        ["openssl", "s_client", "-starttls", "postgres", "-connect", f"{address}:5432", "-showcerts"],
        input="",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    begin = completed.stdout.find("-----BEGIN CERTIFICATE-----")
    end = completed.stdout.find("-----END CERTIFICATE-----")
    assert begin >= 0, completed.stdout + completed.stderr
    return completed.stdout[begin : end + len("-----END CERTIFICATE-----")] + "\n"


def serial_and_issuer(pem: str) -> tuple[str, str]:
    completed = subprocess.run(
        ["openssl", "x509", "-noout", "-serial", "-issuer"], input=pem, capture_output=True, text=True, check=True
    )
    serial, issuer = completed.stdout.splitlines()
    return serial, issuer


@pytest.fixture(scope="module")
def user_ca(lab_inventory, tmp_path_factory) -> tuple[str, str]:
    """The CA the lab passed in for solo, as (PEM text, path to a copy)."""
    variables = yaml.safe_load((lab_inventory / "group_vars" / "solo" / "ca.yml").read_text())
    path = tmp_path_factory.mktemp("ca") / "user-ca.crt"
    path.write_text(variables["postgresql_ca_cert"])
    return variables["postgresql_ca_cert"], str(path)


def test_user_supplied_ca_is_what_clients_verify_the_server_against(user_ca, lab_secrets):
    ca_pem, ca_path = user_ca
    address = host_ip(SOLO_HOST)
    connection = psycopg2.connect(
        host=address,
        dbname="postgres",
        user="postgres",
        password=lab_secrets["patroni_superuser_password"],
        sslmode="verify-full",
        sslrootcert=ca_path,
        connect_timeout=10,
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            assert cursor.fetchone()[0] is True
    finally:
        connection.close()
    installed = docker_exec(SOLO_HOST, "cat", "/etc/postgresql-dbaas/tls/ca.crt").stdout
    assert installed.strip() == ca_pem.strip()


@pytest.mark.whole_lab  # reads demo's CA, to connect to solo with it
def test_a_certificate_the_role_does_not_trust_is_refused_by_verify_full(tmp_path, lab_secrets):
    """The check above can fail: the demo cluster's own CA does not verify solo's server."""
    other_ca = tmp_path / "demo-ca.crt"
    other_ca.write_text(docker_exec("thalassa-lab-pg1", "cat", "/etc/postgresql-dbaas/tls/ca.crt").stdout)
    with pytest.raises(psycopg2.OperationalError, match="certificate verify failed"):
        psycopg2.connect(
            host=host_ip(SOLO_HOST),
            dbname="postgres",
            user="postgres",
            password=lab_secrets["patroni_superuser_password"],
            sslmode="verify-full",
            sslrootcert=str(other_ca),
            connect_timeout=10,
        )


@pytest.mark.lane_demo
def test_a_renewed_server_certificate_is_served_after_site_without_a_restart(lab_inventory):
    replica = next(host for host in DEMO_REPLICA_CANDIDATES if psql(host, "SELECT pg_is_in_recovery()") == "t")
    address = host_ip(replica)
    serial_before, issuer_before = serial_and_issuer(served_certificate(address))
    started_before = psql(replica, "SELECT pg_postmaster_start_time()")

    docker_exec(replica, "rm", "/etc/postgresql-dbaas/tls/server.crt")
    run = run_playbook("site", lab_inventory, "--limit", "demo", "--tags", "cluster")
    assert run.rc == 0, run.output
    assert "RUNNING HANDLER [thalassa.dbaas.postgresql : Reload PostgreSQL]" in run.output

    serial_after, issuer_after = serial_and_issuer(served_certificate(address))
    assert serial_after != serial_before
    assert issuer_after == issuer_before
    assert psql(replica, "SELECT pg_postmaster_start_time()") == started_before
    assert psql(replica, "SELECT status FROM pg_stat_wal_receiver") == "streaming"
