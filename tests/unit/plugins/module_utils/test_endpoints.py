# -*- coding: utf-8 -*-
from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.thalassa.dbaas.plugins.module_utils.endpoints import (
    connection_strings, endpoint_lines, expected_routes, parse_stat, route_findings, routes, virtual_ip_findings)

# What HAProxy 2.6 (Debian bookworm) answered to `show stat` on a lab member, pg2 leading.
SHOW_STAT = (Path(__file__).parent / "fixtures" / "haproxy_2.6_show_stat.csv").read_text()


def members(*rows):
    return [dict(zip(("member", "role", "state", "lag"), row)) for row in rows]


PG2_LEADS = members(("thalassa-lab-pg2", "leader", "running", None), ("thalassa-lab-pg1", "sync_standby", "streaming", 0),
                    ("thalassa-lab-pg3", "replica", "streaming", 4096))


def endpoints(**changes):
    value = {"enabled": True, "addresses": {"thalassa-lab-pg1": "10.0.0.11", "thalassa-lab-pg2": "10.0.0.12"},
             "postgresql_port": 5432, "read_write_port": 5000, "read_only_port": 5001, "read_only_max_lag_bytes": 1048576,
             "ca_file": "/etc/postgresql-dbaas/tls/ca.crt",
             "routes": {"thalassa-lab-pg1": {"reachable": True, "read_write": ["thalassa-lab-pg2"],
                                             "read_only": ["thalassa-lab-pg1", "thalassa-lab-pg3"]}}}
    value.update(changes)
    return value


def test_a_real_show_stat_answer_gives_each_backends_servers_without_the_summary_rows():
    servers = parse_stat(SHOW_STAT)
    assert servers == {
        "demo-leader": {"thalassa-lab-pg1": "DOWN", "thalassa-lab-pg2": "UP", "thalassa-lab-pg3": "DOWN"},
        "demo-replicas": {"thalassa-lab-pg1": "UP", "thalassa-lab-pg2": "DOWN", "thalassa-lab-pg3": "UP"},
    }
    assert routes(servers, "demo") == {"read_write": ["thalassa-lab-pg2"], "read_only": ["thalassa-lab-pg1", "thalassa-lab-pg3"]}


@pytest.mark.parametrize("answer", ["", "Unknown command.\n", "pxname,svname\n"])
def test_an_answer_that_is_no_stat_table_is_refused(answer):
    with pytest.raises(ValueError):
        parse_stat(answer)


def test_a_server_between_checks_still_takes_sessions_and_a_cluster_with_no_replica_up_reads_from_the_leader():
    servers = {"demo-leader": {"a": "UP 1/2", "b": "DOWN 1/1"}, "demo-replicas": {"a": "DOWN", "b": "MAINT"}}
    assert routes(servers, "demo") == {"read_write": ["a"], "read_only": ["a"]}
    assert routes(servers, "other") == {"read_write": [], "read_only": []}


def test_patroni_expects_the_leader_for_writes_and_only_streaming_replicas_within_the_lag_for_reads():
    assert expected_routes(PG2_LEADS, 1048576) == {"read_write": ["thalassa-lab-pg2"],
                                                   "read_only": ["thalassa-lab-pg1", "thalassa-lab-pg3"]}
    assert expected_routes(PG2_LEADS, 1024)["read_only"] == ["thalassa-lab-pg1"]
    stopped = members(("a", "leader", "running", None), ("b", "replica", "stopped", 0), ("c", "replica", "streaming", "unknown"))
    assert expected_routes(stopped, 1048576) == {"read_write": ["a"], "read_only": ["a"]}


def test_routes_where_patroni_says_need_no_attention():
    assert not route_findings(endpoints(), PG2_LEADS)
    assert not route_findings(endpoints(enabled=False, routes={"x": {"reachable": False}}), PG2_LEADS)


def test_writes_routed_to_a_former_leader_are_red_and_a_read_route_that_differs_is_yellow():
    wrong = endpoints(routes={"thalassa-lab-pg1": {"reachable": True, "read_write": ["thalassa-lab-pg1"],
                                                   "read_only": ["thalassa-lab-pg3"]}})
    assert [(f["level"], f["subject"], f["why"]) for f in route_findings(wrong, PG2_LEADS)] == [
        ("red", "thalassa-lab-pg1", "port 5000 (read-write) routes to thalassa-lab-pg1, Patroni says thalassa-lab-pg2"),
        ("yellow", "thalassa-lab-pg1", "port 5001 (read-only) routes to thalassa-lab-pg3, Patroni says thalassa-lab-pg1, thalassa-lab-pg3"),
    ]


def test_a_haproxy_that_does_not_answer_or_routes_nowhere_is_red():
    silent = endpoints(routes={"thalassa-lab-pg1": {"reachable": False, "error": "No such file or directory"},
                               "thalassa-lab-pg2": {"reachable": True, "read_write": [], "read_only": []}})
    found = route_findings(silent, PG2_LEADS)
    assert [(f["level"], f["subject"]) for f in found] == [
        ("red", "thalassa-lab-pg1"), ("red", "thalassa-lab-pg2"), ("yellow", "thalassa-lab-pg2")]
    assert "HAProxy does not answer (No such file or directory)" in found[0]["why"]
    assert "routes to nowhere" in found[1]["why"]


def test_connection_strings_list_every_member_without_credentials_and_check_the_certificate():
    strings = connection_strings(endpoints())
    assert strings == {
        "read_write": "postgresql://10.0.0.11:5432,10.0.0.12:5432/postgres?target_session_attrs=read-write&sslmode=verify-full",
        "read_only": "postgresql://10.0.0.11:5432,10.0.0.12:5432/postgres?target_session_attrs=prefer-standby&sslmode=verify-full",
        "haproxy_read_write": "postgresql://10.0.0.11:5000,10.0.0.12:5000/postgres?sslmode=verify-ca",
        "haproxy_read_only": "postgresql://10.0.0.11:5001,10.0.0.12:5001/postgres?sslmode=verify-ca",
    }
    assert set(connection_strings(endpoints(enabled=False))) == {"read_write", "read_only"}


def test_the_table_says_where_every_member_routes_or_names_those_that_route_wrong():
    lines = endpoint_lines(endpoints(), PG2_LEADS)
    assert "Read-write (HAProxy): postgresql://10.0.0.11:5000,10.0.0.12:5000/postgres?sslmode=verify-ca " \
           "(every member routes to thalassa-lab-pg2)" in lines
    assert lines[-1] == "TLS: sslrootcert is the cluster CA, /etc/postgresql-dbaas/tls/ca.crt on any member"
    wrong = endpoint_lines(endpoints(routes={"thalassa-lab-pg1": {"reachable": False}}), PG2_LEADS)
    assert any(line.endswith("(WRONG on thalassa-lab-pg1)") and line.startswith("Read-write (HAProxy)") for line in wrong)
    assert endpoint_lines({}, PG2_LEADS) == []


def test_the_virtual_ip_on_the_leader_alone_needs_no_attention_and_anywhere_else_is_red():
    assert not virtual_ip_findings(endpoints(virtual_ip="10.0.0.200", virtual_ip_holders=["thalassa-lab-pg2"]), PG2_LEADS)
    assert not virtual_ip_findings(endpoints(), PG2_LEADS)
    for holders, named in ((["thalassa-lab-pg1"], "thalassa-lab-pg1"), ([], "nowhere"),
                           (["thalassa-lab-pg1", "thalassa-lab-pg2"], "thalassa-lab-pg1, thalassa-lab-pg2")):
        found = virtual_ip_findings(endpoints(virtual_ip="10.0.0.200", virtual_ip_holders=holders), PG2_LEADS)
        assert found == [{"level": "red", "subject": "virtual IP",
                          "why": f"10.0.0.200 is held by {named}, Patroni's leader is thalassa-lab-pg2"}]


def test_the_virtual_ips_string_checks_the_certificate_against_the_address_and_its_line_says_who_holds_it():
    value = endpoints(virtual_ip="10.0.0.200", virtual_ip_holders=["thalassa-lab-pg2"])
    assert connection_strings(value)["virtual_ip"] == "postgresql://10.0.0.200:5432/postgres?sslmode=verify-full"
    assert "Virtual IP: postgresql://10.0.0.200:5432/postgres?sslmode=verify-full (on thalassa-lab-pg2)" in endpoint_lines(value, PG2_LEADS)
    moved = endpoint_lines(dict(value, virtual_ip_holders=["thalassa-lab-pg1"]), PG2_LEADS)
    assert "Virtual IP: postgresql://10.0.0.200:5432/postgres?sslmode=verify-full (WRONG: on thalassa-lab-pg1)" in moved


def test_the_poolers_string_reaches_every_members_pgbouncer_and_checks_the_address():
    value = endpoints(pooler_port="6432")
    assert connection_strings(value)["pooler"] == "postgresql://10.0.0.11:6432,10.0.0.12:6432/postgres?sslmode=verify-full"
    assert "Read-write (PgBouncer, transaction pooling): postgresql://10.0.0.11:6432,10.0.0.12:6432/postgres?sslmode=verify-full" \
        in endpoint_lines(value, PG2_LEADS)
    assert "pooler" not in connection_strings(endpoints(pooler_port="0"))
    assert "pooler" not in connection_strings(endpoints())
