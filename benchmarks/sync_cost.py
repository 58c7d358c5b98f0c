"""What Patroni's synchronous mode costs in throughput on the lab's demo cluster: a pgbench
TPC-B load on the leader, in synchronous and asynchronous mode by turns, in the same run.
Prints transactions per second and mean latency per mode and the ratio; asserts nothing.
Needs a deployed lab with the 3-member cluster demo (scripts/demo's, or scripts/test's)
and the repo's venv.

    python benchmarks/sync_cost.py [--rounds 3] [--seconds 30] [--clients 4] [--scale 10]

Each round runs both modes (the order alternates, so a warming cache favours neither). The
load runs in its own database (created, then dropped), over the leader's socket, so the
figures are the replication's cost and not the network's to the client. Synchronous mode is
measured only once Patroni has named a synchronous standby; the cluster's mode is put back
as it was at the end.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time

import lab

PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
DATABASE = "bench_sync_cost"


def sh(*command: str, check: bool = True) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=check).stdout.strip()


def patroni(host: str, method: str = "GET", path: str = "/cluster", body: dict | None = None) -> dict:
    command = ["docker", "exec", host, "curl", "-sf", "-m", "5", "-X", method, f"http://127.0.0.1:8008{path}"]
    if body is not None:
        command += ["-d", json.dumps(body)]
    out = sh(*command)
    return json.loads(out) if out else {}


def wait_for_mode(host: str, synchronous: bool, seconds: float = 60) -> None:
    """Until the cluster has (or no longer has) a synchronous standby."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        roles = [member["role"] for member in patroni(host)["members"]]
        if ("sync_standby" in roles) == synchronous:
            return
        time.sleep(1)
    sys.exit(f"no {'' if synchronous else 'a'}synchronous state within {seconds:.0f} s: is every demo member streaming?")


def psql(host: str, sql: str) -> str:
    return sh("docker", "exec", "-u", "postgres", host, "psql", "-XAtq", "-h", "/var/run/postgresql", "-c", sql)


def pgbench(host: str, *arguments: str) -> str:
    return sh("docker", "exec", "-u", "postgres", host, PGBENCH, "-h", "/var/run/postgresql", *arguments, DATABASE)


def run_load(host: str, seconds: int, clients: int) -> tuple[float, float]:
    """(transactions per second, mean latency in ms) of one pgbench run."""
    out = pgbench(host, "-n", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds))
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    latency = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
    return tps, latency


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=30, help="length of each pgbench run")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--scale", type=int, default=10, help="pgbench scale factor of the database")
    arguments = parser.parse_args()
    if len(lab.members("demo")) != 3:
        sys.exit("cluster demo needs 3 members in 3 AZs for these figures (scripts/demo's lab)")
    host = lab.leader("demo")
    before = bool(patroni(host, path="/config").get("synchronous_mode"))
    print(f"leader {host}; synchronous_mode before the run: {before}; pgbench -c {arguments.clients} "
          f"-T {arguments.seconds}, scale {arguments.scale}, {arguments.rounds} rounds")
    psql(host, f"DROP DATABASE IF EXISTS {DATABASE}")
    psql(host, f"CREATE DATABASE {DATABASE}")
    results: dict[str, list[tuple[float, float]]] = {"sync": [], "async": []}
    try:
        pgbench(host, "-i", "-q", "-s", str(arguments.scale))
        for round_number in range(arguments.rounds):
            order = ["sync", "async"] if round_number % 2 == 0 else ["async", "sync"]
            for mode in order:
                patroni(host, "PATCH", "/config", {"synchronous_mode": mode == "sync"})
                wait_for_mode(host, mode == "sync")
                tps, latency = run_load(host, arguments.seconds, arguments.clients)
                results[mode].append((tps, latency))
                print(f"  round {round_number + 1} {mode:5}: {tps:8.1f} tps, latency {latency:6.2f} ms")
    finally:
        patroni(host, "PATCH", "/config", {"synchronous_mode": before})
        psql(host, f"DROP DATABASE IF EXISTS {DATABASE}")
    for mode, runs in results.items():
        tps = [run[0] for run in runs]
        print(f"{mode:5}: tps min / median / max {min(tps):.1f} / {statistics.median(tps):.1f} / {max(tps):.1f}; "
              f"mean latency median {statistics.median(run[1] for run in runs):.2f} ms")
    ratio = statistics.median(run[0] for run in results["sync"]) / statistics.median(run[0] for run in results["async"])
    print(f"synchronous / asynchronous throughput (medians): {ratio:.2f}")


if __name__ == "__main__":
    main()
