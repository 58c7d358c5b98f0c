"""High availability on the lab's 3-AZ "demo" cluster (Patroni synchronous mode on):
switchover, forced failover, the death of the leader's host, and rejoin, each under a
client that records every commit the server acknowledged. Nothing acknowledged may be
missing afterwards. Durations are printed (pytest -s), never asserted."""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest

from commit_recorder import CommitRecorder
from conftest import archive_server, docker_exec, host_ip, psql, run_playbook, status_json
from etcd_view import etcd_leader, move_etcd_leader

pytestmark = pytest.mark.lane_demo

DEMO = ["thalassa-lab-pg1", "thalassa-lab-pg2", "thalassa-lab-pg3"]
AZ = {"thalassa-lab-pg1": "az1", "thalassa-lab-pg2": "az2", "thalassa-lab-pg3": "az3"}


def running(host: str) -> bool:
    state = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", host], capture_output=True, text=True, check=False)
    return state.stdout.strip() == "true"


def cluster() -> dict:
    """Patroni's /cluster from the first live member that answers."""
    for host in DEMO:
        if not running(host):
            continue
        answer = docker_exec(host, "curl", "-s", "-m", "3", "http://127.0.0.1:8008/cluster", check=False)
        if answer.returncode == 0 and answer.stdout.strip():
            return json.loads(answer.stdout)
    raise AssertionError("no demo member answers")


def members() -> dict[str, dict]:
    return {member["name"]: member for member in cluster()["members"]}


def leader() -> str:
    return next(name for name, member in members().items() if member["role"] == "leader")


def with_role(role: str) -> str:
    return next(name for name, member in members().items() if member["role"] == role)


def wait_until(what: str, check, seconds: float = 120) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if check():
                return time.monotonic() - started
        except (AssertionError, StopIteration, subprocess.SubprocessError, json.JSONDecodeError):
            pass
        time.sleep(0.5)
    pytest.fail(f"not within {seconds} s: {what}")


def virtual_ip_holders(address: str) -> list[str]:
    """The running members whose interface holds the address."""
    return [host for host in DEMO if running(host)
            and docker_exec(host, "ip", "-o", "address", "show", "to", address, check=False).stdout.strip()]


def all_streaming() -> bool:
    state = members()
    return len(state) == 3 and sum(m["role"] == "leader" for m in state.values()) == 1 and all(
        m["state"] == "streaming" for m in state.values() if m["role"] != "leader")


def at_segment_start(host: str) -> bool:
    """Nothing written in the current segment yet: the insert position is just past its
    page header (40 bytes)."""
    return psql(host, "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn) % 16777216 = 40") == "t"


def switched_to_a_new_segment(host: str) -> bool:
    psql(host, "SELECT pg_switch_wal()")
    time.sleep(1)  # what a checkpoint or Patroni writes right after the switch shows here
    return at_segment_start(host)


def rows(host: str) -> set[int]:
    return {int(n) for n in psql(host, "SELECT n FROM ha_probe").split()}


@pytest.fixture
def recorder(lab_secrets):
    client = CommitRecorder([host_ip(host) for host in DEMO], lab_secrets["patroni_superuser_password"])
    client.prepare()
    client.start()
    wait_until("the client's first commits", lambda: len(client.acknowledged) >= 20, 30)
    yield client
    client.stop()


def assert_nothing_acknowledged_is_lost(client: CommitRecorder, host: str) -> None:
    client.stop()
    present = rows(host)
    missing = sorted(set(client.acknowledged) - present)
    assert not missing, f"acknowledged commits missing on {host}: {missing[:20]}"
    print(f"\n{len(client.acknowledged)} acknowledged commits, all on {host}; longest pause between two: "
          f"{client.longest_pause():.2f} s; errors seen by the client: {len(client.errors)}")


def test_switchover_to_the_default_candidate_loses_no_acknowledged_commit(lab_inventory, recorder):
    wait_until("a healthy cluster", all_streaming)
    old, standby = leader(), with_role("sync_standby")
    run = run_playbook("switchover", lab_inventory, "-e", "switchover_cluster=demo")
    assert run.rc == 0, run.output
    new = leader()
    # Synchronous cluster: only the synchronous standby qualifies, and it is in another AZ.
    assert new == standby and AZ[new] != AZ[old]
    assert f"Switchover of cluster demo: {old} (AZ {AZ[old]}) hands over to {new} (AZ {AZ[new]})" in " ".join(run.output.split())
    wait_until("the old leader streaming from the new one", all_streaming)
    time.sleep(1)
    assert_nothing_acknowledged_is_lost(recorder, new)
    assert len(recorder.acknowledged) > 40


def test_switchover_check_mode_prints_the_plan_and_changes_nothing(lab_inventory):
    wait_until("a healthy cluster", all_streaming)
    before = leader()
    run = run_playbook("switchover", lab_inventory, "-e", "switchover_cluster=demo", "--check")
    assert run.rc == 0, run.output
    assert "hands over to" in run.output and run.recap()[before]["changed"] == 0
    assert leader() == before


def test_switchover_refuses_a_candidate_that_is_down_and_rejoin_brings_it_back(lab_inventory):
    wait_until("a healthy cluster", all_streaming)
    current = leader()
    started = psql(current, "SELECT pg_postmaster_start_time()")
    down = next(host for host in DEMO if host != current)
    docker_exec(down, "systemctl", "stop", "patroni")
    try:
        run = run_playbook("switchover", lab_inventory, "-e", "switchover_cluster=demo", "-e", f"switchover_candidate={down}")
        assert run.rc != 0
        text = " ".join(run.output.split())
        assert "Switchover refused, nothing changed" in text and down in text
        assert leader() == current and psql(current, "SELECT pg_postmaster_start_time()") == started
        table = run_playbook("status", lab_inventory, "--limit", "demo")
        assert f"Attention: RED {down}: " in table.output, table.output
    finally:
        run = run_playbook("rejoin", lab_inventory, "-e", "rejoin_cluster=demo")
    assert run.rc == 0, run.output
    assert f"Bringing back {down} as replicas of {current}" in run.output
    assert members()[down]["state"] == "streaming"


def test_rejoin_clones_again_a_member_that_cannot_start_when_asked_to(lab_inventory):
    """rejoin_reinitialize: a replica whose data directory lost its control file never
    streams by itself; rejoin.yml waits rejoin_wait_seconds, then has Patroni clone it."""
    wait_until("a healthy cluster", all_streaming)
    current = leader()
    broken = next(host for host in DEMO if host != current)
    control_file = "/var/lib/postgresql/15/demo/global/pg_control"
    docker_exec(broken, "systemctl", "stop", "patroni")
    docker_exec(broken, "rm", control_file)
    run = run_playbook("rejoin", lab_inventory, "-e", "rejoin_cluster=demo", "-e", f"rejoin_members={broken}",
                       "-e", "rejoin_reinitialize=true", "-e", "rejoin_wait_seconds=20")
    assert run.rc == 0, run.output
    assert run.recap()[broken]["changed"] >= 1 and "Clone the members again from the leader" in run.output
    assert members()[broken]["state"] == "streaming" and leader() == current
    assert docker_exec(broken, "test", "-f", control_file, check=False).returncode == 0


def test_backups_follow_the_new_leader_on_its_timeline(lab_s3):
    """After the switchover above: the new timeline's history file and its segments reach
    the store from the new leader, and the backup service, started on every member, backs
    up there only."""
    wait_until("a healthy cluster", all_streaming)
    current = leader()
    timeline = members()[current]["timeline"]
    assert timeline > 1
    server = archive_server(current)
    segment = psql(current, "SELECT pg_walfile_name(pg_switch_wal())")
    assert int(segment[:8], 16) == timeline

    def stored() -> list[str]:
        pages = lab_s3.get_paginator("list_objects_v2").paginate(Bucket="demo-backups", Prefix=f"demo/{server}/wals/")
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    wait_until(f"segment {segment} in the store", lambda: any(segment in key for key in stored()), 60)
    assert any(f"/{timeline:08X}.history" in key for key in stored())  # compressed like the segments

    def done_backups() -> list[str]:
        listing = json.loads(docker_exec(current, "/usr/local/bin/dbaas-backup-list", user="postgres").stdout)
        return [item["backup_id"] for item in listing["backups_list"] if item["status"] == "DONE"]

    before = done_backups()
    for host in DEMO:
        docker_exec(host, "systemctl", "start", "dbaas-backup.service")
    assert len(done_backups()) == len(before) + 1
    for host in DEMO:
        if host != current:
            log = docker_exec(host, "journalctl", "-u", "dbaas-backup.service", "-n", "5", "--no-pager").stdout
            assert "not the leader: no backup taken here" in log


def test_forced_failover_to_a_named_replica(lab_inventory, recorder):
    wait_until("a healthy cluster", all_streaming)
    old = leader()
    target = with_role("replica")  # the asynchronous one, which may lag: the live leader hands over its WAL
    run = run_playbook("failover", lab_inventory, "-e", "failover_cluster=demo", "-e", f"failover_candidate={target}")
    assert run.rc == 0, run.output
    assert leader() == target
    output = " ".join(run.output.split())
    assert "lost by this failover: 0 bytes (the leader runs: Patroni stops it cleanly and hands its WAL over first)" in output
    wait_until("the old leader streaming again", all_streaming)
    assert members()[old]["state"] == "streaming"
    assert_nothing_acknowledged_is_lost(recorder, target)


def test_failover_refuses_a_candidate_that_is_not_a_member(lab_inventory):
    run = run_playbook("failover", lab_inventory, "-e", "failover_cluster=demo", "-e", "failover_candidate=thalassa-lab-pg9")
    assert run.rc != 0
    assert "Failover refused, nothing changed: thalassa-lab-pg9 is not among the members Patroni reports" in " ".join(run.output.split())


def set_nostream(host: str, on: bool) -> None:
    """Patroni's nostream tag: the member stops streaming and, with no restore_command on a
    replica, receives no WAL at all, so it falls behind as the leader writes."""
    change = 's/^tags: {/tags: {"nostream": true, /' if on else 's/^tags: {"nostream": true, /tags: {/'
    docker_exec(host, "sed", "-i", change, "/etc/patroni/config.yml")
    docker_exec(host, "systemctl", "reload", "patroni")


def test_failover_refuses_a_lagging_candidate_unless_the_loss_is_accepted(lab_inventory):
    """A replica that does not stream falls behind. failover.yml refuses it, naming the bytes a
    promotion would lose and the value that accepts them; with that value it plans the
    failover and says the loss (--check: nothing changes)."""
    wait_until("a healthy cluster", all_streaming)
    current = leader()
    lagging = with_role("replica")  # the asynchronous one: the synchronous standby must keep streaming
    set_nostream(lagging, True)
    try:
        wait_until(f"{lagging} not streaming", lambda: members()[lagging]["state"] != "streaming", 30)
        psql(current, "CREATE TABLE IF NOT EXISTS lag_probe (n int); INSERT INTO lag_probe SELECT generate_series(1, 1000)")
        wait_until(f"{lagging} lagging", lambda: (members()[lagging].get("lag") or 0) > 0, 30)

        refused = run_playbook("failover", lab_inventory, "-e", "failover_cluster=demo", "-e", f"failover_candidate={lagging}")
        assert refused.rc != 0
        said = " ".join(refused.output.split())
        assert f"Failover refused, nothing changed: {lagging} lags " in said, said
        lag = int(said.split(f"{lagging} lags ", 1)[1].split()[0])
        assert lag > 0 and f"run again with -e failover_accepted_loss={lag}" in said
        assert leader() == current

        planned = run_playbook("failover", lab_inventory, "--check", "-e", "failover_cluster=demo",
                               "-e", f"failover_candidate={lagging}", "-e", "failover_accepted_loss=unlimited")
        assert planned.rc == 0, planned.output
        said = " ".join(planned.output.split())
        assert f"Failover of cluster demo: {lagging} (AZ {AZ[lagging]}) is to lead" in said
        loss = re.search(r"lost by this failover: (\d+) bytes", said)
        assert loss and int(loss.group(1)) >= lag, said
        assert leader() == current
    finally:
        set_nostream(lagging, False)
    wait_until("every replica streaming again", all_streaming, 60)


def test_a_dead_leader_host_is_replaced_in_another_az_and_rejoins_by_itself_while_idle(
        lab_inventory, lab_inventory_data, recorder):
    virtual_ip = lab_inventory_data["all"]["children"]["dbaas_clusters"]["children"]["demo"]["vars"]["dbaas_virtual_ip"]
    wait_until("a healthy cluster", all_streaming)
    old = leader()
    # The host must not carry etcd's leader too (its death would cost an etcd election, and
    # the new etcd leader would renew the dead leader's lock): put etcd's leader there, and
    # the role's dbaas-etcd-leader-away moves it to another host.
    # etcdctl move-leader exits 0 only once the transfer is done; no check of etcd_leader here,
    # since dbaas-etcd-leader-away may already have moved it on (what is waited for next).
    if etcd_leader(old) != old:
        move_etcd_leader(old, old)
    away = wait_until("etcd's leader moved off the Patroni leader's host", lambda: etcd_leader(old) != old, 30)
    print(f"\netcd's leader moved off {old} {away:.1f} s after it was put there")
    killed_at = time.monotonic()
    subprocess.run(["docker", "kill", old], check=True, capture_output=True)
    try:
        promoted = wait_until("a new leader", lambda: leader() != old, 90)
        wait_until("commits on the new leader", lambda: recorder.acknowledged_at[-1] > killed_at + promoted, 60)
        resumed = min(at for at in recorder.acknowledged_at if at > killed_at + 0.5) - killed_at
        new = leader()
        assert AZ[new] != AZ[old]
        print(f"\nleader host {old} killed: {new} leads after {promoted:.1f} s; the first write was accepted again "
              f"{resumed:.1f} s after the kill")
        # keepalived on the new leader takes the virtual IP with no Ansible run.
        moved = wait_until("the virtual IP on the new leader", lambda: virtual_ip_holders(virtual_ip) == [new], 15)
        print(f"the virtual IP was on {new} {moved:.1f} s after it led")
        assert_nothing_acknowledged_is_lost(recorder, new)
        # No client writes from here on. An idle leader at the start of a segment writes
        # nothing more: without the nudge, the WAL that pg_rewind makes the old leader wait
        # for would never come. archive_timeout would take the leader there within a minute;
        # a switch does now (it writes nothing when already at a segment's start).
        wait_until("the idle leader at the start of a segment", lambda: switched_to_a_new_segment(new), 150)
    finally:
        subprocess.run(["docker", "start", old], check=True, capture_output=True)
    # Patroni alone brings it back (pg_rewind): no playbook runs here.
    rejoined = wait_until("the old leader streaming again by itself", lambda: members().get(old, {}).get("state") == "streaming", 150)
    print(f"{old} started again: streaming from {new} {rejoined:.1f} s later, with no client writing")
    assert leader() == new
    assert virtual_ip_holders(virtual_ip) == [new]  # the old leader came back as a replica, without it
    print("the leader's nudge said: " + "; ".join(
        docker_exec(new, "journalctl", "-u", "dbaas-rejoin-nudge", "--no-pager", "-o", "cat").stdout.splitlines()[-4:]))
    demo = status_json(lab_inventory, "demo")["demo"]
    shown = {member["member"]: member for member in demo["members"]}
    assert shown[old]["state"] == "streaming" and shown[old]["role"] in ("replica", "sync_standby")
    assert shown[new]["role"] == "leader"
    assert [finding for finding in demo["attention"] if finding["level"] == "red" or finding["subject"] in DEMO] == []


def lab_network_of(host: str) -> tuple[str, str]:
    """The lab network a host is attached to, and its address there."""
    networks = json.loads(subprocess.run(["docker", "inspect", "-f", "{{json .NetworkSettings.Networks}}", host],
                                         capture_output=True, text=True, check=True).stdout)
    (name, settings), = networks.items()
    return name, settings["IPAMConfig"]["IPv4Address"] if settings.get("IPAMConfig") else settings["IPAddress"]


def writable(host: str) -> bool:
    """Whether PostgreSQL on the host takes writes (asked locally: works while it is cut off)."""
    answer = docker_exec(host, "psql", "-h", "/var/run/postgresql", "-XAtc", "SELECT NOT pg_is_in_recovery()",
                         user="postgres", check=False)
    return answer.returncode == 0 and answer.stdout.strip() == "t"


def test_a_leader_cut_off_from_the_network_is_demoted_and_no_endpoint_writes_to_it(
        lab_inventory_data, lab_secrets, recorder):
    virtual_ip = lab_inventory_data["all"]["children"]["dbaas_clusters"]["children"]["demo"]["vars"]["dbaas_virtual_ip"]
    password = lab_secrets["patroni_superuser_password"]
    wait_until("a healthy cluster", all_streaming)
    old = leader()
    network, address = lab_network_of(old)
    # One client per route besides the fixture's direct multi-host one: the virtual IP, and
    # HAProxy's read-write port on every member.
    routes = {"virtual IP": CommitRecorder([virtual_ip], password, table="ha_probe_vip"),
              "HAProxy": CommitRecorder([host_ip(host) for host in DEMO], password, table="ha_probe_haproxy", port=5000)}
    for client in routes.values():
        client.prepare()
        client.start()
    for name, client in routes.items():
        wait_until(f"commits through the {name}", lambda client=client: len(client.acknowledged) >= 20, 30)
    try:
        cut_at = time.monotonic()
        subprocess.run(["docker", "network", "disconnect", network, old], check=True, capture_output=True)
        try:
            # Its processes run on, but it cannot renew its lock: it must stop taking writes
            # before (or as) another member takes over, never after.
            promoted = wait_until("a new leader", lambda: leader() != old, 90)
            assert not writable(old), f"{old} still takes writes while {leader()} leads: split brain"
            new = leader()
            assert AZ[new] != AZ[old]
            print(f"\n{old} cut off from the network: {new} leads after {promoted:.1f} s, and {old} takes no writes")
            for name, client in [("direct", recorder), *routes.items()]:
                wait_until(f"commits again through the {name} route",
                           lambda client=client: client.acknowledged_at[-1] > cut_at + promoted, 60)
                resumed = min(at for at in client.acknowledged_at if at > cut_at + 0.5) - cut_at
                print(f"writes through the {name} route were accepted again {resumed:.1f} s after the cut")
        finally:
            subprocess.run(["docker", "network", "connect", "--ip", address, network, old], check=True, capture_output=True)
        reconnected_at = time.monotonic()
        # Patroni alone brings it back as a replica, while the clients keep writing.
        wait_until("the old leader streaming again by itself", lambda: members().get(old, {}).get("state") == "streaming", 150)
        print(f"{old} reconnected: streaming from {new} {time.monotonic() - reconnected_at:.1f} s later")
        wait_until("the virtual IP on the new leader alone", lambda: virtual_ip_holders(virtual_ip) == [new], 15)
        assert leader() == new
        for client in routes.values():
            client.stop()
            missing = sorted(set(client.acknowledged) - {int(n) for n in psql(new, f"SELECT n FROM {client.table}").split()})
            assert not missing, f"acknowledged commits through {client.table} missing on {new}: {missing[:20]}"
        assert_nothing_acknowledged_is_lost(recorder, new)
    finally:
        # docker network connect gave the host a new interface, eth1, which keepalived's
        # configuration does not name and docker would not find again at a later disconnect; a
        # real host's network coming back keeps its interface. A restart gives it eth0 back.
        subprocess.run(["docker", "restart", old], check=True, capture_output=True)
    restarted = wait_until("the old leader streaming again after its restart", all_streaming, 120)
    print(f"{old} restarted to get its interface back: streaming again {restarted:.1f} s later")
