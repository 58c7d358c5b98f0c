"""What the benchmarks know of the lab: the clusters its inventory holds, their members, and
which member leads. Read from the inventory that scripts/lab up wrote (LAB_STATE_DIR, else
.lab/ of this checkout), so a benchmark runs on whichever lab is up: scripts/demo's (cluster
demo) or scripts/test's (demo and solo).

    python benchmarks/lab.py members CLUSTER   prints the members, one a line
    python benchmarks/lab.py leader CLUSTER    prints the member that leads
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
INVENTORY = Path(os.environ.get("LAB_STATE_DIR", REPO / ".lab")) / "inventory"
LABS = "scripts/demo (cluster demo) or scripts/test (clusters demo and solo)"


def clusters() -> dict[str, list[str]]:
    """cluster name -> its member hosts, from the lab's inventory."""
    hosts_file = INVENTORY / "hosts.yml"
    if not hosts_file.exists():
        sys.exit("no lab inventory at %s: bring a lab up first with %s" % (hosts_file, LABS))
    groups = yaml.safe_load(hosts_file.read_text())["all"]["children"]["dbaas_clusters"]["children"]
    return {name: sorted(group.get("hosts") or {}) for name, group in groups.items()}


def members(cluster: str) -> list[str]:
    known = clusters()
    if cluster not in known:
        sys.exit("the lab at %s has no cluster %r (it has: %s); bring one up with %s, or "
                 "LAB_CLUSTERS='demo:3 %s:1' scripts/demo" % (INVENTORY, cluster, ", ".join(sorted(known)), LABS, cluster))
    return known[cluster]


def first_cluster(*preferred: str) -> str:
    """The first of the preferred clusters the lab has (a benchmark's default)."""
    known = clusters()
    return next((name for name in preferred if name in known), preferred[-1])


def leader(cluster: str) -> str:
    """The member whose Patroni answers /primary with 200."""
    for host in members(cluster):
        answer = subprocess.run(["docker", "exec", host, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "3",
                                 "http://127.0.0.1:8008/primary"], capture_output=True, text=True, check=False)
        if answer.stdout.strip() == "200":
            return host
    sys.exit("no member of cluster %s leads (%s): is the lab deployed (site.yml)?" % (cluster, ", ".join(members(cluster))))


def add_cluster_argument(parser: argparse.ArgumentParser, *preferred: str) -> None:
    """--cluster, defaulting to the first of the preferred clusters the lab has, read when parsed."""
    parser.add_argument("--cluster", help="the lab cluster to measure (default: the first of %s the lab has; "
                                          "labs: %s)" % (", ".join(preferred), LABS))


def chosen_cluster(arguments: argparse.Namespace, *preferred: str) -> str:
    return arguments.cluster or first_cluster(*preferred)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["members", "leader"])
    parser.add_argument("cluster")
    arguments = parser.parse_args()
    print("\n".join(members(arguments.cluster)) if arguments.what == "members" else leader(arguments.cluster))


if __name__ == "__main__":
    main()
