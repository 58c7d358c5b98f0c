"""Where etcd's raft leader runs on the lab's demo cluster (one etcd member per host, named
after it, plain HTTP), and how to move it, with the lab's own etcdctl: for the test and the
benchmark of failover timing, which depends on it."""

from __future__ import annotations

import json
import subprocess


def etcdctl(host: str, *arguments: str) -> str:
    return subprocess.run(["docker", "exec", host, "etcdctl", "--command-timeout=5s", *arguments],
                          capture_output=True, text=True, check=True, timeout=30).stdout


def etcd_members(host: str) -> dict:
    """Member name (the inventory host) -> etcd's member entry (ID, clientURLs)."""
    return {member["name"]: member for member in json.loads(etcdctl(host, "member", "list", "-w", "json"))["members"]}


def etcd_leader(host: str) -> str:
    """The name of the member that leads etcd, as the members `host` can reach say."""
    names = {member["ID"]: name for name, member in etcd_members(host).items()}
    statuses = json.loads(etcdctl(host, "endpoint", "status", "--cluster", "-w", "json"))
    return names[statuses[0]["Status"]["leader"]]


def move_etcd_leader(host: str, target: str) -> None:
    """etcd's MoveLeader: hands the raft leadership to member `target`."""
    members = etcd_members(host)
    endpoints = ",".join(url for member in members.values() for url in member["clientURLs"])
    etcdctl(host, "--endpoints=" + endpoints, "move-leader", format(members[target]["ID"], "x"))
