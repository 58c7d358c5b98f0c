"""Client endpoints (HAProxy on every member, issue 25): any member's read-write port reaches
the leader and its read-only port a streaming replica, as Patroni's health checks say, or
the leader when no replica qualifies; after a switchover every member's read-write port
reaches the new leader within seconds, without Ansible. status.yml prints connection strings
that work as printed, and says when a member's HAProxy does not route."""

from __future__ import annotations

import time
import urllib.parse
from pathlib import Path

import psycopg2
import pytest

from conftest import cluster_roles, docker_exec, host_ip, run_playbook, status_json

pytestmark = pytest.mark.lane_demo

DEMO = ["thalassa-lab-pg1", "thalassa-lab-pg2", "thalassa-lab-pg3"]
READ_WRITE, READ_ONLY = 5000, 5001


@pytest.fixture(scope="module")
def addresses() -> dict[str, str]:
    return {member: host_ip(member) for member in DEMO}


@pytest.fixture(scope="module")
def virtual_ip(lab_inventory_data) -> str:
    return lab_inventory_data["all"]["children"]["dbaas_clusters"]["children"]["demo"]["vars"]["dbaas_virtual_ip"]


def holders(address: str) -> list[str]:
    """The members whose interface holds the address."""
    return [member for member in DEMO if docker_exec(member, "ip", "-o", "address", "show", "to", address).stdout.strip()]


def reached(address: str, port: int, password: str) -> tuple[str, bool]:
    """(address of the server the endpoint led to, whether it is in recovery)."""
    return server_of(psycopg2.connect(host=address, port=port, dbname="postgres", user="postgres", password=password,
                                      sslmode="require", connect_timeout=3))


def reached_or_none(address: str, port: int, password: str) -> tuple[str, bool] | None:
    try:
        return reached(address, port, password)
    except psycopg2.Error:
        return None


def server_of(connection) -> tuple[str, bool]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT host(inet_server_addr()), pg_is_in_recovery()")
            server, in_recovery = cursor.fetchone()
    finally:
        connection.close()
    return server, in_recovery


def leader() -> str:
    return next(name for name, role in cluster_roles(DEMO[0]).items() if role == "leader")


def test_every_members_read_write_port_reaches_the_leader_and_its_read_only_port_a_replica(
        addresses, lab_secrets, virtual_ip):
    password, current = lab_secrets["patroni_superuser_password"], leader()
    for member, address in addresses.items():
        assert reached(address, READ_WRITE, password) == (addresses[current], False), member
        server, in_recovery = reached(address, READ_ONLY, password)
        assert in_recovery and server != addresses[current] and server in addresses.values(), (member, server)
    # The virtual IP is on the leader's host alone, and PostgreSQL and HAProxy answer on it.
    assert holders(virtual_ip) == [current]
    assert reached(virtual_ip, 5432, password) == (virtual_ip, False)
    assert reached(virtual_ip, READ_WRITE, password) == (addresses[current], False)


def test_after_a_switchover_every_read_write_port_and_the_virtual_ip_reach_the_new_leader_within_seconds(
        lab_inventory, addresses, lab_secrets, virtual_ip):
    password, old = lab_secrets["patroni_superuser_password"], leader()
    switched = run_playbook("switchover", lab_inventory, "-e", "switchover_cluster=demo")
    assert switched.rc == 0, switched.output
    ended, new = time.monotonic(), leader()
    assert new != old
    routes: dict[str, tuple[str, bool] | str] = {}
    while time.monotonic() - ended < 15:
        routes = {}
        for member, address in addresses.items():
            try:
                routes[member] = reached(address, READ_WRITE, password)
            except psycopg2.Error as error:
                routes[member] = str(error).strip()
        if all(route == (addresses[new], False) for route in routes.values()):
            break
        time.sleep(0.2)
    seconds = time.monotonic() - ended
    print(f"\nevery read-write port reached the new leader {seconds:.1f} s after switchover.yml returned")
    assert all(route == (addresses[new], False) for route in routes.values()), routes
    moved = until(lambda: holders(virtual_ip) == [new] and reached_or_none(virtual_ip, 5432, password) == (virtual_ip, False), 10)
    print(f"the virtual IP was on the new leader alone {time.monotonic() - ended:.1f} s after switchover.yml returned")
    assert moved, holders(virtual_ip)


def test_site_tags_endpoints_puts_a_changed_configuration_back_and_a_second_run_changes_nothing(
        lab_inventory, addresses, lab_secrets):
    docker_exec(DEMO[0], "sed", "-i", "s/ fall 2 / fall 9 /", "/etc/haproxy/haproxy.cfg")
    first = run_playbook("site", lab_inventory, "--limit", "demo", "--tags", "endpoints")
    assert first.rc == 0, first.output
    changed = {host: counters["changed"] for host, counters in first.recap().items()}
    assert changed[DEMO[0]] == 2 and all(changed[member] == 0 for member in DEMO[1:]), changed  # template, reload
    assert " fall 9 " not in docker_exec(DEMO[0], "cat", "/etc/haproxy/haproxy.cfg").stdout
    second = run_playbook("site", lab_inventory, "--limit", "demo", "--tags", "endpoints")
    assert second.rc == 0 and all(counters["changed"] == 0 for counters in second.recap().values()), second.recap()
    assert reached(addresses[DEMO[0]], READ_WRITE, lab_secrets["patroni_superuser_password"]) == (addresses[leader()], False)


def until(check, seconds: float):
    """check()'s first truthy answer within the time, else its last one."""
    deadline = time.monotonic() + seconds
    while True:
        answer = check()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.3)


def test_with_no_replica_qualifying_the_read_only_port_reaches_the_leader_and_then_the_replicas_again(addresses, lab_secrets):
    """The replicas' Patroni is frozen (SIGSTOP) for a few seconds, shorter than the ttl: their
    health checks fail while PostgreSQL streams on, so no replica qualifies."""
    password, current = lab_secrets["patroni_superuser_password"], leader()
    replicas = [member for member in DEMO if member != current]
    try:
        for member in replicas:
            docker_exec(member, "pkill", "-STOP", "-f", "bin/patroni")
        fell_back = until(lambda: all(reached(address, READ_ONLY, password) == (addresses[current], False)
                                      for address in addresses.values()), 10)
    finally:
        for member in replicas:
            docker_exec(member, "pkill", "-CONT", "-f", "bin/patroni")
    assert fell_back, {member: reached(address, READ_ONLY, password) for member, address in addresses.items()}
    back = until(lambda: all(reached(address, READ_ONLY, password)[1] for address in addresses.values()), 10)
    assert back, {member: reached(address, READ_ONLY, password) for member, address in addresses.items()}


@pytest.fixture()
def cluster_ca(tmp_path) -> Path:
    path = tmp_path / "ca.crt"
    path.write_text(docker_exec(DEMO[0], "cat", "/etc/postgresql-dbaas/tls/ca.crt").stdout)
    return path


def test_status_prints_connection_strings_that_reach_the_right_member_as_printed(lab_inventory, addresses, lab_secrets,
                                                                                 cluster_ca):
    demo = status_json(lab_inventory, "demo")["demo"]
    strings, current = demo["connection_strings"], leader()
    assert set(strings) == {"read_write", "read_only", "haproxy_read_write", "haproxy_read_only", "virtual_ip", "pooler"}
    assert "password" not in " ".join(strings.values())
    assert not [finding for finding in demo["attention"] if finding["subject"] in DEMO], demo["attention"]
    password = lab_secrets["patroni_superuser_password"]
    # The pooler's string takes no superuser: test_pooler.py connects with it as printed.
    # The virtual IP's string checks the certificate against the address (verify-full): the
    # members' certificates name it.
    assert "sslmode=verify-full" in strings["virtual_ip"]
    virtual_ip = urllib.parse.urlsplit(strings["virtual_ip"]).hostname
    for name, expect_replica in (("read_write", False), ("read_only", True), ("haproxy_read_write", False),
                                 ("haproxy_read_only", True), ("virtual_ip", False)):
        uri = strings[name] + f"&sslrootcert={cluster_ca}&connect_timeout=3"
        server, in_recovery = server_of(psycopg2.connect(uri, user="postgres", password=password))
        # Through the virtual IP the server sees the connection arrive on that address.
        leader_address = virtual_ip if name == "virtual_ip" else addresses[current]
        assert in_recovery == expect_replica and (server == leader_address) != expect_replica, (name, server)
    assert set(demo["endpoints"]["routes"]) == set(DEMO)
    assert all(route["read_write"] == [current] for route in demo["endpoints"]["routes"].values())


def test_status_says_red_which_members_haproxy_does_not_route(lab_inventory, addresses, lab_secrets):
    stopped = next(member for member in DEMO if member != leader())
    docker_exec(stopped, "systemctl", "stop", "haproxy")
    try:
        table = run_playbook("status", lab_inventory, "--limit", "demo")
    finally:
        docker_exec(stopped, "systemctl", "start", "haproxy")
    assert table.rc == 0, table.output
    text = " ".join(table.output.split())
    assert f"RED {stopped}: HAProxy does not answer" in text, text
    assert f"(WRONG on {stopped})" in text
    assert until(lambda: reached(addresses[stopped], READ_WRITE, lab_secrets["patroni_superuser_password"])
                 == (addresses[leader()], False), 10)
