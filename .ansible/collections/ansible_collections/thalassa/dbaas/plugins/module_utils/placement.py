# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Placement of cluster members over availability zones.

Pure logic, no Ansible and no network: the inventory says which cluster and which AZ
group each host belongs to; this module checks that every cluster covers as many
distinct AZs as it can and derives the facts the roles need (members by AZ, the etcd
members, one per AZ).
"""

from __future__ import annotations

import re

CLUSTER_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


class PlacementError(ValueError):
    """The inventory places hosts in a way the DBaaS refuses. Carries every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def host_availability_zones(groups: list[str], availability_zones: list[str]) -> list[str]:
    """The AZ groups a host belongs to, in the order the AZs are declared."""
    member_of = set(groups)
    return [zone for zone in availability_zones if zone in member_of]


def _zone_problems(host: str, zones: list[str], availability_zones: list[str]) -> list[str]:
    if not zones:
        return [
            "host %s has no availability zone: add it to exactly one of the AZ groups %s"
            % (host, ", ".join(availability_zones))
        ]
    if len(zones) > 1:
        return [
            "host %s is in several availability zones (%s): keep it in exactly one"
            % (host, ", ".join(zones))
        ]
    return []


def _cluster_name_problems(host: str, cluster: str | None) -> list[str]:
    if not cluster:
        return ["host %s belongs to no cluster: set dbaas_cluster_name on its cluster group" % host]
    if not CLUSTER_NAME_PATTERN.match(cluster):
        return [
            "cluster name %r of host %s is not valid: use lower-case letters, digits, '-' "
            "and '_', starting with a letter, at most 63 characters" % (cluster, host)
        ]
    return []


def coverage_problems(cluster: str, members: dict[str, str], availability_zones: list[str]) -> list[str]:
    """Members must cover min(member count, AZ count) distinct AZs.

    members maps host -> AZ. Two members in one AZ while another AZ has none would lose
    more than necessary when that AZ fails, so it is refused with the hosts named.
    """
    needed = min(len(members), len(availability_zones))
    by_zone: dict[str, list[str]] = {}
    for host in sorted(members):
        by_zone.setdefault(members[host], []).append(host)
    if len(by_zone) >= needed:
        return []
    crowded = [zone for zone in availability_zones if len(by_zone.get(zone, [])) > 1]
    empty = [zone for zone in availability_zones if zone not in by_zone]
    crowded_text = "; ".join("%s holds %s" % (zone, ", ".join(by_zone[zone])) for zone in crowded)
    return [
        "cluster %s: %d members cover %d availability zone(s) but must cover %d: %s while %s "
        "hold(s) no member; move a member of a crowded AZ to an empty one"
        % (cluster, len(members), len(by_zone), needed, crowded_text, ", ".join(empty))
    ]


def etcd_members(members: dict[str, str], availability_zones: list[str]) -> list[str]:
    """One etcd member per AZ: the first member host (by name) of each AZ, in AZ order."""
    chosen = []
    for zone in availability_zones:
        in_zone = sorted(host for host, host_zone in members.items() if host_zone == zone)
        if in_zone:
            chosen.append(in_zone[0])
    return chosen


def plan_clusters(hosts: dict[str, dict], availability_zones: list[str]) -> dict[str, dict]:
    """Check the placement of every cluster and describe it.

    hosts maps each host to {"cluster": name, "groups": [inventory group names]}.
    Returns {cluster: {"name", "members": [{"host", "az"}], "availability_zones",
    "etcd_members"}}. Raises PlacementError listing every problem found.
    """
    if not availability_zones:
        raise PlacementError(
            ["dbaas_availability_zones is empty: set it to the list of your AZ group names"]
        )
    if len(set(availability_zones)) != len(availability_zones):
        raise PlacementError(["dbaas_availability_zones names an AZ twice: %s" % availability_zones])

    problems: list[str] = []
    clusters: dict[str, dict[str, str]] = {}
    for host in sorted(hosts):
        cluster = hosts[host].get("cluster")
        zones = host_availability_zones(hosts[host].get("groups") or [], availability_zones)
        host_problems = _cluster_name_problems(host, cluster) + _zone_problems(host, zones, availability_zones)
        problems.extend(host_problems)
        if not host_problems:
            clusters.setdefault(cluster, {})[host] = zones[0]

    for cluster in sorted(clusters):
        problems.extend(coverage_problems(cluster, clusters[cluster], availability_zones))
    if problems:
        raise PlacementError(problems)

    return {cluster: describe_cluster(cluster, members, availability_zones) for cluster, members in clusters.items()}


def describe_cluster(cluster: str, members: dict[str, str], availability_zones: list[str]) -> dict:
    return {
        "name": cluster,
        "members": [{"host": host, "az": members[host]} for host in sorted(members)],
        "availability_zones": [zone for zone in availability_zones if zone in members.values()],
        "etcd_members": etcd_members(members, availability_zones),
    }
