"""How long the lab's demo cluster takes to accept writes again, and how many
acknowledged commits it loses, when its leader fails in different ways. Prints figures,
asserts nothing. Needs a deployed lab with the 3-member cluster demo (scripts/demo's, or
scripts/test's) and the repo's venv.

    python benchmarks/failover.py [--rounds 1] [--mode sync|async|both] [--pgbench-clients 0]
                                  [--only "host dies" ...] [--etcd-leader as-is|there|elsewhere]
                                  [--route direct haproxy vip pooler]

Routes, the way the client reaches the leader (--route, default direct): direct (libpq's
multi-host string, target_session_attrs=read-write), haproxy (every member's read-write
port 5000), vip (the cluster's virtual IP, port 5432), pooler (every member's PgBouncer,
port 6432, as a login the script makes; its errors are counted: through the pooler a
switchover should cost none).

Scenarios, each under a client committing one row at a time (tests/integration/commit_recorder.py):
  host dies        docker kill of the leader's container (then started again; it rejoins)
  host reboots     docker restart of the leader's container: systemd stops Patroni cleanly
  postgres crash   kill -9 of the leader's postmaster (Patroni restarts it or fails over)
  patroni stop     systemctl stop patroni on the leader (a clean stop hands over)
  patroni crash    kill -9 of the leader's Patroni (systemd restarts it)
  switchover       playbooks/switchover.yml (the playbook's own run time is printed too)
  replica dies     docker kill of the replica a read-only client reads from (then started
                   again; it rejoins): the figure is that client's longest read outage. Routes
                   direct (target_session_attrs=prefer-standby) and haproxy (the read-only
                   port 5001) only: the virtual IP and the pooler lead to the leader alone.
"Mode async" turns Patroni's synchronous_mode off for the run and back on afterwards; the
lost-commit count there is the asynchronous recovery point. With --pgbench-clients N, a
pgbench TPC-B load runs on the leader beside the client, so that the replicas lag the way
they do under real writes; the replicas' lag just before the act is printed.

Every host also runs its AZ's etcd member. Each line says whether etcd's raft leader was on
the Patroni leader's host at the act, and the summary keeps those runs apart: a dead etcd
leader takes an etcd election, and a new etcd leader renews every lease in full, Patroni's
leader lock with them. The patroni role's dbaas-etcd-leader-away keeps etcd's leader off
that host; --etcd-leader there stops that service for the run and moves etcd's leadership
(etcdctl move-leader) onto the host before each act, --etcd-leader elsewhere off it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
from commit_recorder import CommitRecorder, ReadRecorder  # noqa: E402  pylint: disable=wrong-import-position
from etcd_view import etcd_leader, move_etcd_leader  # noqa: E402  pylint: disable=wrong-import-position

import yaml  # noqa: E402  pylint: disable=wrong-import-position

import lab  # noqa: E402  pylint: disable=wrong-import-position

DEMO: list[str] = []  # the demo cluster's members, read from the lab's inventory by main()
INVENTORY = lab.INVENTORY


def sh(*command: str, check: bool = True) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=check).stdout.strip()


def running(host: str) -> bool:
    return sh("docker", "inspect", "-f", "{{.State.Running}}", host, check=False) == "true"


def members() -> dict:
    for host in DEMO:
        if running(host):
            out = sh("docker", "exec", host, "curl", "-s", "-m", "2", "http://127.0.0.1:8008/cluster", check=False)
            if out:
                return {m["name"]: m for m in json.loads(out)["members"]}
    return {}


def leader() -> str | None:
    return next((name for name, m in members().items() if m["role"] == "leader"), None)


def healthy(synchronous: bool = False) -> bool:
    """One leader, the others streaming, and in synchronous mode a registered synchronous
    standby: without one, Patroni promotes nobody when the leader fails (it cannot know who
    has every commit), and failover.yml has to force a leader."""
    state = members()
    return len(state) == 3 and sum(m["role"] == "leader" for m in state.values()) == 1 and all(
        m["state"] == "streaming" for m in state.values() if m["role"] != "leader") and (
        not synchronous or any(m["role"] == "sync_standby" for m in state.values()))


def wait(check, seconds: float = 180) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if check():
                return time.monotonic() - started
        except (subprocess.SubprocessError, json.JSONDecodeError, KeyError):
            pass
        time.sleep(0.2)
    raise SystemExit("timed out")


def etcd_leader_away(action: str) -> None:
    """Stops or starts the role's dbaas-etcd-leader-away, which would undo "there"."""
    for host in DEMO:
        if running(host):
            sh("docker", "exec", host, "systemctl", action, "dbaas-etcd-leader-away.service", check=False)


def place_etcd_leader(patroni_leader: str, placement: str) -> None:
    """Moves etcd's raft leadership onto the Patroni leader's host, or off it."""
    if placement == "there":
        etcd_leader_away("stop")
    if placement == "as-is" or (etcd_leader(patroni_leader) == patroni_leader) == (placement == "there"):
        return
    target = patroni_leader if placement == "there" else next(name for name in DEMO if name != patroni_leader)
    move_etcd_leader(patroni_leader, target)
    wait(lambda: (etcd_leader(patroni_leader) == patroni_leader) == (placement == "there"), 30)


def patch_config(body: dict) -> None:
    host = leader()
    sh("docker", "exec", host, "curl", "-sf", "-XPATCH", "-d", json.dumps(body), "http://127.0.0.1:8008/config")


def playbook(name: str, *extra: str) -> float:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(REPO / ".build" / "dev")))
    started = time.monotonic()
    done = subprocess.run(["ansible-playbook", "-i", str(INVENTORY), f"thalassa.dbaas.{name}", *extra],
                          capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name}.yml failed:\n{done.stdout[-3000:]}")
    return time.monotonic() - started


def host_dies(old: str) -> None:
    sh("docker", "kill", old)


def recover_host(old: str) -> None:
    wait(lambda: running(old) or sh("docker", "start", old, check=False) == old)
    wait(lambda: sh("docker", "exec", old, "systemctl", "is-system-running", check=False) in ("running", "degraded"))
    playbook("rejoin", "-e", "rejoin_cluster=demo")


def host_reboots(old: str) -> None:
    """What a reboot does: systemd stops every service (Patroni hands over), then boots."""
    subprocess.Popen(["docker", "restart", "-t", "60", old], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


SCENARIOS = {
    "host dies": host_dies,
    "host reboots": host_reboots,
    "postgres crash": lambda old: sh("docker", "exec", old, "pkill", "-9", "-f", "-o", "postgres -D"),
    "patroni stop": lambda old: sh("docker", "exec", old, "systemctl", "stop", "--no-block", "patroni"),
    "patroni crash": lambda old: sh("docker", "exec", old, "pkill", "-9", "-f", "bin/patroni"),
}


PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"


def start_pgbench(host: str, clients: int) -> None:
    """A TPC-B load on the leader over its socket; it ends with the leader (or stop_pgbench)."""
    sh("docker", "exec", "-d", "-u", "postgres", host, PGBENCH, "-n", "-c", str(clients), "-j", str(clients),
       "-T", "600", "-h", "/var/run/postgresql", "postgres")


def stop_pgbench() -> None:
    for host in DEMO:
        if running(host):
            sh("docker", "exec", host, "pkill", "-f", PGBENCH, check=False)


def replica_lag(host: str) -> str:
    """Bytes each replica has not yet flushed, as the leader sees it (Patroni's own lag figure
    is sampled once a loop and rounds small lags to 0)."""
    return sh("docker", "exec", "-u", "postgres", host, "psql", "-h", "/var/run/postgresql", "-XAtc",
              "SELECT string_agg(application_name || ' ' || (pg_current_wal_lsn() - flush_lsn) || ' B', ', ') "
              "FROM pg_stat_replication")


def read_route(route: str, addresses: list[str], password: str) -> dict | None:
    """ReadRecorder's arguments for a read-only client on a route, or None where it has no replica to offer."""
    if route == "direct":
        return dict(addresses=addresses, password=password, target_session_attrs="prefer-standby")
    if route == "haproxy":
        return dict(addresses=addresses, password=password, port=5001, target_session_attrs="any")
    return None


def measure_replica_death(read_arguments: dict, addresses: list[str], synchronous: bool) -> tuple[float, int, bool]:
    """Kills the replica a read-only client reads from; returns the client's longest read
    outage (s), 0 commits lost (none are written) and False (etcd's leader is not the point)."""
    wait(lambda: healthy(synchronous))
    client = ReadRecorder(**read_arguments)
    client.start()
    wait(lambda: len(client.answered_at) >= 50, 30)
    address, in_recovery = client.servers[-1]
    by_address = dict(zip(addresses, DEMO))
    if not in_recovery or address not in by_address:
        client.stop()
        raise SystemExit(f"the read-only client reads from {address} (in recovery: {in_recovery}), not from a replica")
    victim = by_address[address]
    started = time.monotonic()
    sh("docker", "kill", victim)
    wait(lambda: time.monotonic() - started > 5 and time.monotonic() - client.answered_at[-1] < 1, 120)
    time.sleep(2)
    client.stop()
    after = {f"{server} ({'replica' if recovery else 'leader'})" for server, recovery in client.servers[-20:]}
    print(f"  {'replica dies':15} replica {victim} killed: longest read outage {client.longest_pause():5.1f} s; "
          f"client errors {len(client.errors)}; reads then from {', '.join(sorted(after))}", flush=True)
    recover_host(victim)
    wait(lambda: healthy(synchronous))
    return client.longest_pause(), 0, False


POOLER_LOGIN = "failover_pooled"


def route_clients(route: str, addresses: list[str], password: str, virtual_ip: str) -> dict:
    """CommitRecorder's arguments for a route (the pooler's login is made on first use:
    PgBouncer takes no superuser)."""
    if route == "direct":
        return dict(addresses=addresses, password=password)
    if route == "haproxy":
        return dict(addresses=addresses, password=password, port=5000)
    if route == "vip":
        if not virtual_ip:
            sys.exit("cluster demo has no dbaas_virtual_ip: the vip route needs the lab's vip option")
        return dict(addresses=[virtual_ip], password=password)
    pooled_password = "failover-" + password[:12]
    sh("docker", "exec", "-u", "postgres", leader(), "psql", "-h", "/var/run/postgresql", "-XAtc",
       f"DROP TABLE IF EXISTS failover_probe; DO $$BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{POOLER_LOGIN}') "
       f"THEN DROP OWNED BY {POOLER_LOGIN}; DROP ROLE {POOLER_LOGIN}; END IF; END$$; "
       f"CREATE ROLE {POOLER_LOGIN} LOGIN PASSWORD '{pooled_password}'; GRANT CREATE ON SCHEMA public TO {POOLER_LOGIN}")
    return dict(addresses=addresses, password=pooled_password, port=6432, user=POOLER_LOGIN, target_session_attrs="any")


def measure(name: str, act, client_arguments: dict, synchronous: bool,
            pgbench_clients: int = 0, etcd_placement: str = "as-is") -> tuple[float, int, bool]:
    """Runs one scenario; returns the longest write outage (s), the acknowledged commits lost
    and whether etcd's leader was on the Patroni leader's host at the act."""
    wait(lambda: healthy(synchronous))
    client = CommitRecorder(**client_arguments, table="failover_probe")
    client.prepare()
    client.start()
    wait(lambda: len(client.acknowledged) >= 50, 30)
    old = leader()
    lag = ""
    if pgbench_clients:
        start_pgbench(old, pgbench_clients)
        time.sleep(10)
        lag = "; replicas not yet flushed before: " + replica_lag(old)
    place_etcd_leader(old, etcd_placement)
    etcd_there = etcd_leader(old) == old
    started = time.monotonic()
    extra = ""
    if act is None:
        extra = "; switchover.yml ran %.1f s" % playbook("switchover", "-e", "switchover_cluster=demo")
    else:
        act(old)

    def settled() -> bool:
        """Writes flow again (the old leader may accept some for a moment after the act)."""
        now = time.monotonic()
        return now - started > 5 and now - client.acknowledged_at[-1] < 1 and leader() is not None

    try:
        wait(settled, 120)
    except SystemExit:
        client.stop()
        stop_pgbench()
        print(f"  {name:15} leader {old}: NO WRITE ACCEPTED within 120 s; members: "
              + ", ".join(f"{n} {m['role']} {m['state']}" for n, m in members().items()), flush=True)
        raise
    time.sleep(2)
    client.stop()
    stop_pgbench()
    # The write outage: the longest gap between two acknowledged commits (the old leader
    # may accept writes for a moment after the act, so "first write after it" would flatter).
    outage = client.longest_pause()
    new = leader()
    rows = set(map(int, sh("docker", "exec", "-u", "postgres", new, "psql", "-h", "/var/run/postgresql", "-XAtc",
                           "SELECT n FROM failover_probe").split()))
    lost = sorted(set(client.acknowledged) - rows)
    print(f"  {name:15} leader {old} -> {new} (etcd leader {'there' if etcd_there else 'elsewhere'}): "
          f"longest write outage {outage:5.1f} s; "
          f"acknowledged commits lost: {len(lost)} of {len(client.acknowledged)}; client errors {len(client.errors)}"
          f"{extra}{lag}", flush=True)
    if act in (host_dies, host_reboots) or name in ("patroni stop",):
        recover_host(old)
    if etcd_placement == "there":
        etcd_leader_away("start")
    wait(lambda: healthy(synchronous))
    return outage, len(lost), etcd_there


def summary(results: dict) -> None:
    print("summary (longest write outage over the runs, for replica dies the read outage: min / median / max;"
          " acknowledged commits lost, all runs):")
    for (mode, route, name), runs in results.items():
        for etcd_there in (False, True):
            outages = [outage for outage, _lost, there in runs if there == etcd_there]
            if outages:
                print(f"  {mode:5} {route:8} {name:15} etcd leader {'there    ' if etcd_there else 'elsewhere'} "
                      f"{min(outages):5.1f} / {statistics.median(outages):5.1f} / {max(outages):5.1f} s "
                      f"over {len(outages)} runs; lost {sum(lost for _o, lost, there in runs if there == etcd_there)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--mode", choices=["sync", "async", "both"], default="both")
    parser.add_argument("--pgbench-clients", type=int, default=0, help="pgbench load beside the client (0: none)")
    parser.add_argument("--only", nargs="+", choices=list(SCENARIOS) + ["switchover", "replica dies"],
                        help="these scenarios only")
    parser.add_argument("--etcd-leader", choices=["as-is", "there", "elsewhere"], default="as-is",
                        help="move etcd's leader onto or off the Patroni leader's host before each act")
    parser.add_argument("--route", nargs="+", choices=["direct", "haproxy", "vip", "pooler"], default=["direct"],
                        help="how the client reaches the leader")
    arguments = parser.parse_args()
    DEMO[:] = lab.members("demo")
    if len(DEMO) != 3:
        sys.exit("cluster demo has %d members; these figures are of 3 in 3 AZs (scripts/demo's lab)" % len(DEMO))
    secrets = yaml.safe_load((INVENTORY / "group_vars" / "all" / "secrets.yml").read_text())
    addresses = [sh("docker", "exec", host, "hostname", "-I").split()[0] for host in DEMO]
    config = json.loads(sh("docker", "exec", leader(), "curl", "-sf", "http://127.0.0.1:8008/config"))
    print("Patroni: ttl %s, loop_wait %s, retry_timeout %s, synchronous_mode %s"
          % (config.get("ttl"), config.get("loop_wait"), config.get("retry_timeout"), config.get("synchronous_mode")))
    modes = ["sync", "async"] if arguments.mode == "both" else [arguments.mode]
    scenarios = [(name, act) for name, act in list(SCENARIOS.items()) + [("switchover", None)]
                 if not arguments.only or name in arguments.only]
    replica_dies = not arguments.only or "replica dies" in arguments.only
    if arguments.pgbench_clients:
        sh("docker", "exec", "-u", "postgres", leader(), PGBENCH, "-i", "-q", "-s", "10", "-h", "/var/run/postgresql", "postgres")
    demo_vars = yaml.safe_load((INVENTORY / "hosts.yml").read_text())["all"]["children"]["dbaas_clusters"]["children"]["demo"]
    virtual_ip = (demo_vars.get("vars") or {}).get("dbaas_virtual_ip", "")
    results: dict = {}
    try:
        for mode in modes:
            patch_config({"synchronous_mode": mode == "sync"})
            time.sleep(5)
            print(f"synchronous_mode {mode == 'sync'}:")
            for route in arguments.route:
                print(f" route {route}:")
                client_arguments = route_clients(route, addresses, secrets["patroni_superuser_password"], virtual_ip)
                read_arguments = read_route(route, addresses, secrets["patroni_superuser_password"])
                for _round in range(arguments.rounds):
                    for name, act in scenarios:
                        results.setdefault((mode, route, name), []).append(measure(
                            name, act, client_arguments, mode == "sync", arguments.pgbench_clients, arguments.etcd_leader))
                    if replica_dies and read_arguments:
                        results.setdefault((mode, route, "replica dies"), []).append(
                            measure_replica_death(read_arguments, addresses, mode == "sync"))
        summary(results)
    finally:
        wait(lambda: leader() is not None, 60)
        patch_config({"synchronous_mode": bool(config.get("synchronous_mode"))})


if __name__ == "__main__":
    main()
