# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A cluster's client endpoints: the connection strings a client is given, where each
member's HAProxy routes right now (from its `show stat` answer), and whether that is where
Patroni says it should. Pure logic."""

from __future__ import annotations

import csv
import io

from ansible_collections.thalassa.dbaas.plugins.module_utils.findings import RED, YELLOW, finding


def parse_stat(text: str) -> dict[str, dict[str, str]]:
    """HAProxy's `show stat` CSV as backend -> server -> status ("UP", "DOWN", "UP 1/2", ...),
    leaving out the frontend and backend summary rows."""
    lines = text.strip().splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError("not an answer to show stat: %r" % text[:80])
    servers: dict[str, dict[str, str]] = {}
    for row in csv.DictReader(io.StringIO("\n".join([lines[0][2:]] + lines[1:]))):
        if row.get("svname") in ("FRONTEND", "BACKEND", None):
            continue
        servers.setdefault(row["pxname"], {})[row["svname"]] = row.get("status") or ""
    return servers


def _up(servers: dict[str, str]) -> list[str]:
    # "UP 1/2": a check failed but not yet enough of them; HAProxy still sends it sessions.
    return sorted(name for name, state in servers.items() if state == "UP" or state.startswith("UP "))


def routes(servers: dict[str, dict[str, str]], cluster: str) -> dict[str, list[str]]:
    """The members each port sends new sessions to: the read-write port to the leader
    backend's servers that are up, the read-only port to the replicas backend's, or to the
    leader backend's when none is up (the template's nbsrv fallback)."""
    leader = _up(servers.get("%s-leader" % cluster, {}))
    replicas = _up(servers.get("%s-replicas" % cluster, {}))
    return {"read_write": leader, "read_only": replicas or leader}


def expected_routes(members: list[dict], max_lag_bytes: int) -> dict[str, list[str]]:
    """Where Patroni's view says each port should lead: the leader, and the streaming
    replicas within the lag limit (the leader when none is)."""
    leaders = sorted(m["member"] for m in members if m.get("role") == "leader")
    replicas = sorted(m["member"] for m in members if m.get("role") != "leader" and m.get("state") == "streaming"
                      and isinstance(m.get("lag"), int) and m["lag"] <= max_lag_bytes)
    return {"read_write": leaders, "read_only": replicas or leaders}


def _named(names: list[str]) -> str:
    return ", ".join(names) if names else "nowhere"


def route_findings(endpoints: dict, members: list[dict]) -> list[dict]:
    """A member whose HAProxy does not answer, or routes a port elsewhere than Patroni's
    view says: red for the read-write port (writes fail or reach a replica), yellow for the
    read-only one (lag is sampled, so a replica near the limit may differ for a check)."""
    if not endpoints.get("enabled"):
        return []
    expected = expected_routes(members, int(endpoints.get("read_only_max_lag_bytes") or 0))
    findings = []
    for member, seen in sorted((endpoints.get("routes") or {}).items()):
        if not seen.get("reachable"):
            findings.append(finding(RED, member, "HAProxy does not answer (%s): its endpoints are down" % seen.get("error")))
            continue
        for port_name, level in (("read_write", RED), ("read_only", YELLOW)):
            if seen[port_name] != expected[port_name]:
                findings.append(finding(level, member, "port %s (%s) routes to %s, Patroni says %s" % (
                    endpoints["%s_port" % port_name], port_name.replace("_", "-"), _named(seen[port_name]),
                    _named(expected[port_name]))))
    return findings


def virtual_ip_findings(endpoints: dict, members: list[dict]) -> list[dict]:
    """The virtual IP held by another member than the leader, by several, or by none: red."""
    if not endpoints.get("virtual_ip"):
        return []
    holders = sorted(endpoints.get("virtual_ip_holders") or [])
    leaders = expected_routes(members, 0)["read_write"]
    if holders == leaders:
        return []
    return [finding(RED, "virtual IP", "%s is held by %s, Patroni's leader is %s" % (
        endpoints["virtual_ip"], _named(holders), _named(leaders)))]


def connection_strings(endpoints: dict, database: str = "postgres") -> dict[str, str]:
    """libpq URIs, without user or password: straight to the members (libpq tries each host
    and keeps the one whose role fits target_session_attrs), and through HAProxy on any
    member, and to the virtual IP (which the members' certificates name: verify-full), and
    through PgBouncer on any member.
    Through HAProxy the server is not the host dialled, so its certificate can be checked
    against the cluster CA only (verify-ca), not against the address."""
    addresses = [address for _member, address in sorted((endpoints.get("addresses") or {}).items())]

    def uri(port, query: str) -> str:
        return "postgresql://%s/%s?%s" % (",".join("%s:%s" % (address, port) for address in addresses), database, query)

    strings = {
        "read_write": uri(endpoints["postgresql_port"], "target_session_attrs=read-write&sslmode=verify-full"),
        "read_only": uri(endpoints["postgresql_port"], "target_session_attrs=prefer-standby&sslmode=verify-full"),
    }
    if endpoints.get("virtual_ip"):
        strings["virtual_ip"] = "postgresql://%s:%s/%s?sslmode=verify-full" % (endpoints["virtual_ip"], endpoints["postgresql_port"], database)
    if endpoints.get("enabled"):
        strings["haproxy_read_write"] = uri(endpoints["read_write_port"], "sslmode=verify-ca")
        strings["haproxy_read_only"] = uri(endpoints["read_only_port"], "sslmode=verify-ca")
    if int(endpoints.get("pooler_port") or 0):
        # PgBouncer answers with the member's own certificate, so the address can be checked.
        strings["pooler"] = uri(endpoints["pooler_port"], "sslmode=verify-full")
    return strings


def endpoint_lines(endpoints: dict, members: list[dict]) -> list[str]:
    """The status table's lines: each connection string, and where each member routes."""
    if not endpoints or not endpoints.get("addresses"):
        return []
    strings = connection_strings(endpoints)
    lines = ["Read-write (libpq): %s" % strings["read_write"], "Read-only (libpq): %s" % strings["read_only"]]
    if "haproxy_read_write" in strings:
        expected = expected_routes(members, int(endpoints.get("read_only_max_lag_bytes") or 0))
        routes_now = endpoints.get("routes") or {}

        def routed(port_name: str) -> str:
            wrong = sorted(member for member, seen in routes_now.items()
                           if not seen.get("reachable") or seen[port_name] != expected[port_name])
            return "every member routes to %s" % _named(expected[port_name]) if not wrong else "WRONG on %s" % ", ".join(wrong)

        lines += ["Read-write (HAProxy): %s (%s)" % (strings["haproxy_read_write"], routed("read_write")),
                  "Read-only (HAProxy): %s (%s)" % (strings["haproxy_read_only"], routed("read_only"))]
    if "virtual_ip" in strings:
        holders = sorted(endpoints.get("virtual_ip_holders") or [])
        right = holders == expected_routes(members, 0)["read_write"]
        lines.append("Virtual IP: %s (%s %s)" % (strings["virtual_ip"], "on" if right else "WRONG: on", _named(holders)))
    if "pooler" in strings:
        lines.append("Read-write (PgBouncer, transaction pooling): %s" % strings["pooler"])
    if endpoints.get("ca_file"):
        lines.append("TLS: sslrootcert is the cluster CA, %s on any member" % endpoints["ca_file"])
    return lines
