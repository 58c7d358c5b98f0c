"""The pooler (PgBouncer on every member of the demo cluster, issue 25): a login reaches the
leader through any member's PgBouncer with scram over TLS, while PgBouncer's files hold no
password and neither superusers nor its own auth login get in through it; a switchover
through the pooler costs its clients no error, only a wait."""

from __future__ import annotations

import secrets
import time

import psycopg2
import pytest

from commit_recorder import CommitRecorder
from conftest import docker_exec, host_ip, psql, run_playbook, status_json
from test_ha import all_streaming, leader, wait_until

pytestmark = pytest.mark.lane_demo

DEMO = ["thalassa-lab-pg1", "thalassa-lab-pg2", "thalassa-lab-pg3"]
POOLER = 6432
LOGIN = "app_pooled"


@pytest.fixture(scope="module")
def app_password() -> str:
    """A login of an application's, made on the leader as a DBA would."""
    password = secrets.token_urlsafe(18)
    psql(leader(), f"DO $$BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{LOGIN}') THEN "
                   f"DROP OWNED BY {LOGIN}; DROP ROLE {LOGIN}; END IF; END$$")
    psql(leader(), f"CREATE ROLE {LOGIN} LOGIN PASSWORD '{password}'")
    psql(leader(), f"GRANT CREATE ON SCHEMA public TO {LOGIN}")
    return password


def through_pooler(member: str, user: str, password: str):
    return psycopg2.connect(host=host_ip(member), port=POOLER, dbname="postgres", user=user, password=password,
                            sslmode="require", connect_timeout=5)


def test_every_members_pooler_reaches_the_leader_by_scram_and_its_files_hold_no_password(
        lab_inventory, app_password, lab_secrets, tmp_path):
    current = host_ip(leader())
    # status.yml's string, as printed: every member's PgBouncer, the certificate checked
    # against the address (verify-full) with the cluster CA.
    printed = status_json(lab_inventory, "demo")["demo"]["connection_strings"]["pooler"]
    assert printed == "postgresql://%s/postgres?sslmode=verify-full" % ",".join(f"{host_ip(m)}:{POOLER}" for m in sorted(DEMO))
    ca = tmp_path / "ca.crt"
    ca.write_text(docker_exec(DEMO[0], "cat", "/etc/postgresql-dbaas/tls/ca.crt").stdout)
    connection = psycopg2.connect(printed + f"&sslrootcert={ca}", user=LOGIN, password=app_password, connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT host(inet_server_addr()), pg_is_in_recovery()")
            assert cursor.fetchone() == (current, False)
    finally:
        connection.close()
    for member in DEMO:
        connection = through_pooler(member, LOGIN, app_password)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT host(inet_server_addr()), pg_is_in_recovery(), current_user")
                assert cursor.fetchone() == (current, False, LOGIN), member
                cursor.execute("SHOW ssl")
                assert cursor.fetchone() == ("on",)  # PgBouncer to the server, through HAProxy
        finally:
            connection.close()
        files = docker_exec(member, "sh", "-c", "cat /etc/pgbouncer/*").stdout
        assert app_password not in files and "SCRAM-SHA-256$" not in files and "md5" not in files.lower(), member
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed|SASL authentication failed"):
        through_pooler(DEMO[0], LOGIN, "not-" + app_password).close()
    # auth_query returns no superuser's secret, and PgBouncer's own login is refused outright.
    with pytest.raises(psycopg2.OperationalError):
        through_pooler(DEMO[0], "postgres", lab_secrets["patroni_superuser_password"]).close()
    with pytest.raises(psycopg2.OperationalError):
        through_pooler(DEMO[0], "pgbouncer_auth", "").close()


def test_a_switchover_through_the_pooler_costs_its_clients_no_error(lab_inventory, app_password):
    wait_until("a healthy cluster", all_streaming)
    old = leader()
    # One client on each member's PgBouncer, each keeping its connection (a pooled
    # application's): any error it sees is one an application would see.
    clients = [CommitRecorder([host_ip(member)], app_password, table=f"pool_probe_{index}", port=POOLER, user=LOGIN,
                              target_session_attrs="any") for index, member in enumerate(DEMO)]
    for client in clients:
        client.prepare()
        client.start()
    try:
        for client in clients:
            wait_until("the client's first commits", lambda client=client: len(client.acknowledged) >= 20, 30)
        run = run_playbook("switchover", lab_inventory, "-e", "switchover_cluster=demo")
        assert run.rc == 0, run.output
        ended, new = time.monotonic(), leader()
        assert new != old
        for client in clients:
            wait_until("commits on the new leader", lambda client=client: client.acknowledged_at[-1] > ended, 30)
    finally:
        for client in clients:
            client.stop()
    for member, client in zip(DEMO, clients):
        assert client.errors == [], (member, client.errors[:5])
        present = {int(n) for n in psql(new, f"SELECT n FROM {client.table}").split()}
        assert set(client.acknowledged) <= present, member
        print(f"\nthrough {member}'s PgBouncer: {len(client.acknowledged)} commits, no error, "
              f"longest wait between two {client.longest_pause():.2f} s")


def test_a_transaction_that_outlasts_the_pause_timeout_leaves_the_leader_and_resumes_every_pool(
        lab_inventory, app_password):
    wait_until("a healthy cluster", all_streaming)
    old, marker = leader(), secrets.randbelow(10**9)
    held = through_pooler(DEMO[0], LOGIN, app_password)
    try:
        with held.cursor() as cursor:  # a transaction left open, as a slow batch would
            cursor.execute("CREATE TABLE IF NOT EXISTS pool_held (n int)")
            held.commit()
            cursor.execute("INSERT INTO pool_held VALUES (%s)", (marker,))
        run = run_playbook("switchover", lab_inventory, "-e", "switchover_cluster=demo", "-e", "pgbouncer_pause_timeout=3")
        assert run.rc != 0, run.output
        text = " ".join(run.output.split())
        assert f"The pools on {DEMO[0]} did not pause within 3 s" in text, run.output
        assert "so the leader was not changed and the pools resumed" in text
        assert leader() == old
        for member in DEMO:  # every pool answers at once (a paused one would hold the query: rc 124)
            answered = docker_exec(member, "env", f"PGPASSWORD={app_password}", "timeout", "5", "psql", "-XAtc", "SELECT 1",
                                   f"host=127.0.0.1 port={POOLER} dbname=postgres user={LOGIN} sslmode=require", check=False)
            assert (answered.returncode, answered.stdout.strip()) == (0, "1"), (member, answered.stderr)
        held.commit()  # the held transaction went on, and commits
    finally:
        held.close()
    assert psql(old, f"SELECT count(*) FROM pool_held WHERE n = {marker}") == "1"
