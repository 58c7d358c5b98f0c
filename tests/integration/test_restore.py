"""Point-in-time restore is exact: after a restore to a target, the table holds what was
committed at that target, and not a row more.

Rows are written in several transactions; after each commit the test records its commit
time, the LSN after it, its xid, and a checksum of the table. A base backup is taken in the
middle, so that later targets must start from the newer backup. Restores rebuild the
cluster, so these tests run last (see conftest.py).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import subprocess
import time
from datetime import datetime, timedelta

import pytest

from conftest import archive_server, cluster_roles, docker_exec, psql, run_playbook, status_json

SOLO = "thalassa-lab-pg4"
LAB_STORE = "thalassa-lab-s3"
DEMO = ["thalassa-lab-pg1", "thalassa-lab-pg2", "thalassa-lab-pg3"]
CHECKSUM = "SELECT coalesce(md5(string_agg(id || ':' || note, ',' ORDER BY id)), 'empty') FROM restore_probe"

pytestmark = [pytest.mark.lane_solo, pytest.mark.rebuilds_clusters]


def commit(host: str, rows: list[int]) -> dict:
    """One transaction; what was true right after its commit."""
    values = ",".join(f"({row}, 'row {row}')" for row in rows)
    xid = psql(host, f"INSERT INTO restore_probe VALUES {values} RETURNING txid_current()").splitlines()[0]
    after = psql(host, f"SELECT clock_timestamp(), pg_current_wal_lsn(), ({CHECKSUM})").split("|")
    return {"xid": xid, "time": after[0], "lsn": after[1], "checksum": after[2]}


def middle(earlier: str, later: str) -> str:
    first, second = datetime.fromisoformat(earlier), datetime.fromisoformat(later)
    return (first + (second - first) / 2).isoformat()


def write_history(lab_inventory, cluster: str, host: str) -> dict:
    """Six commits on the cluster's leader, with a restore point after the third and a base
    backup after the fourth."""
    psql(host, "DROP TABLE IF EXISTS restore_probe; CREATE TABLE restore_probe (id int PRIMARY KEY, note text)")
    time.sleep(1.1)
    commits, backup_id, point = [], None, f"probe-{int(time.time())}"
    for number in range(6):
        commits.append(commit(host, [number * 10 + 1, number * 10 + 2]))
        time.sleep(1.1)  # whole seconds between commits: time targets fall clearly between them
        if number == 2:
            run = run_playbook("restore_point", lab_inventory, "-e", f"restore_point_cluster={cluster}",
                               "-e", f"restore_point_name={point}")
            assert run.rc == 0, run.output
        if number == 3:
            docker_exec(host, "/usr/local/bin/dbaas-backup", "mid-history", user="postgres")
            listing = json.loads(docker_exec(host, "/usr/local/bin/dbaas-backup-list", user="postgres").stdout)
            backup_id = max(item["backup_id"] for item in listing["backups_list"] if item["status"] == "DONE")
            time.sleep(1.1)
    return {"commits": commits, "backup_id": backup_id, "restore_point": point, "server": archive_server(host)}


# The history's restores are shared between the lanes, so that they take about as long:
# those of single-member concerns (XID knowledge, refusals, rollbacks) and the LSN target on
# solo, the other targets on the 3-member demo, whose replicas each restore rebuilds as well.
@pytest.fixture(scope="module")
def history(lab_inventory) -> dict:
    return write_history(lab_inventory, "solo", SOLO)


@pytest.fixture(scope="module")
def demo_history(lab_inventory) -> dict:
    """On a leader that was a standby before a switchover, as after any failover: Patroni
    wrote recovery settings into its postgresql.conf, which its backups carry."""
    old = demo_leader()
    switched = run_playbook("switchover", lab_inventory, "-e", "switchover_cluster=demo")
    assert switched.rc == 0, switched.output
    leader = demo_leader()
    assert leader != old
    conf = docker_exec(leader, "sh", "-c", "cat /var/lib/postgresql/*/demo/postgresql.conf").stdout
    assert re.search(r"^recovery_target_\w+ = ''", conf, re.M), "the promoted leader's postgresql.conf names no recovery target" \
        " any more: this history no longer proves that a restore with a target ignores the backed-up ones"
    return write_history(lab_inventory, "demo", leader)


def demo_leader() -> str:
    return next(name for name, role in cluster_roles(DEMO[0]).items() if role == "leader")


def assert_every_demo_member_holds(checksum: str) -> None:
    roles = cluster_roles(DEMO[0])
    assert sorted(roles.values()).count("leader") == 1 and len(roles) == 3, roles
    for member in DEMO:
        assert psql(member, CHECKSUM) == checksum, member


def restore(lab_inventory, cluster: str, *target: str):
    """Restores the history the test wrote: after the first restore the cluster archives under
    a new server name, so later restores name the server that history went to."""
    run = run_playbook("restore", lab_inventory, "-e", f"restore_cluster={cluster}", *target)
    assert run.rc == 0, run.output
    return run


def plan_backup(run) -> str:
    text = " ".join(run.output.split())
    return text.split("Base backup ", 1)[1].split(" ", 1)[0]


def test_restore_to_a_transaction_id_exclusive_and_inclusive(lab_inventory, history):
    """First of the restores of this history, so the cluster still runs on it: with
    track_commit_timestamp on (the role's default) the leader says when the last
    transaction committed, after the newer backup, and the plan starts from that backup."""
    commits = history["commits"]
    run = restore(lab_inventory, "solo", "-e", f"restore_target_xid={commits[5]['xid']}", "-e", "restore_target_inclusive=false")
    assert psql(SOLO, CHECKSUM) == commits[4]["checksum"]
    assert plan_backup(run) == history["backup_id"], "the plan should start from the backup taken before the transaction"
    # In the history the cluster left, the leader cannot say whether or when the number
    # committed: the operator accepts that the position is unknown.
    unplaced = run_playbook("restore", lab_inventory, "-e", "restore_cluster=solo", "-e", f"restore_source_server={history['server']}",
                            "-e", f"restore_target_xid={commits[2]['xid']}")
    assert unplaced.rc != 0 and "cannot be placed in the restorable window" in unplaced.output, unplaced.output
    restore(lab_inventory, "solo", "-e", f"restore_source_server={history['server']}", "-e", f"restore_target_xid={commits[2]['xid']}",
            "-e", "restore_allow_unplaced_target=true")
    assert psql(SOLO, CHECKSUM) == commits[2]["checksum"]


@pytest.mark.lane_demo
def test_restore_to_a_time_between_commits_before_the_newer_backup(lab_inventory, demo_history):
    commits = demo_history["commits"]
    target = middle(commits[1]["time"], commits[2]["time"])
    run = restore(lab_inventory, "demo", "-e", f"restore_source_server={demo_history['server']}", "-e", f"restore_target_time={target}")
    assert_every_demo_member_holds(commits[1]["checksum"])
    assert plan_backup(run) != demo_history["backup_id"]
    assert "Point reached" in run.output


@pytest.mark.lane_demo
def test_restore_to_a_time_after_the_newer_backup_starts_from_it(lab_inventory, demo_history):
    commits = demo_history["commits"]
    target = middle(commits[4]["time"], commits[5]["time"])
    run = restore(lab_inventory, "demo", "-e", f"restore_source_server={demo_history['server']}", "-e", f"restore_target_time={target}")
    assert_every_demo_member_holds(commits[4]["checksum"])
    assert plan_backup(run) == demo_history["backup_id"]


def test_restore_to_an_lsn(lab_inventory, history):
    commits = history["commits"]
    restore(lab_inventory, "solo", "-e", f"restore_source_server={history['server']}", "-e", f"restore_target_lsn={commits[3]['lsn']}")
    assert psql(SOLO, CHECKSUM) == commits[3]["checksum"]


@pytest.mark.lane_demo
def test_restore_to_a_named_restore_point(lab_inventory, demo_history):
    restore(lab_inventory, "demo", "-e", f"restore_source_server={demo_history['server']}",
            "-e", f"restore_target_name={demo_history['restore_point']}")
    assert_every_demo_member_holds(demo_history["commits"][2]["checksum"])


def aborted_xid() -> str:
    printed = psql(SOLO, "BEGIN; SELECT txid_current(); ROLLBACK").splitlines()  # psql also prints BEGIN and ROLLBACK
    return next(line for line in printed if line.isdigit())


@pytest.mark.parametrize("target, message", [
    (lambda: "restore_target_name=never-made", "No restore point named 'never-made' is recorded in the store (restore points recorded: "),
    (lambda: "restore_target_xid=" + aborted_xid(), "never committed (the leader's pg_xact_status: aborted)"),
    (lambda: "restore_target_xid=%d" % (int(psql(SOLO, "SELECT txid_current()")) + 100000),
     "never committed (the leader's pg_xact_status: future)"),
], ids=["unknown name", "aborted xid", "future xid"])
def test_a_target_without_a_known_position_is_refused_and_changes_nothing(lab_inventory, untouched, target, message):
    before = psql(SOLO, "SELECT pg_postmaster_start_time(), system_identifier FROM pg_control_system()")
    run = run_playbook("restore", lab_inventory, "-e", "restore_cluster=solo", "-e", target())
    assert run.rc != 0
    text = " ".join(run.output.split())
    assert "Restore refused, nothing changed" in text and message in text, text[-3000:]
    assert psql(SOLO, "SELECT pg_postmaster_start_time(), system_identifier FROM pg_control_system()") == before


def test_a_refused_target_changes_nothing(lab_inventory, history):
    before = psql(SOLO, CHECKSUM)
    started = psql(SOLO, "SELECT pg_postmaster_start_time()")
    future = (datetime.fromisoformat(history["commits"][-1]["time"]) + timedelta(days=365)).isoformat()
    run = run_playbook("restore", lab_inventory, "-e", "restore_cluster=solo", "-e", f"restore_source_server={history['server']}",
                       "-e", f"restore_target_time={future}")
    assert run.rc != 0
    assert "Restore refused, nothing changed" in run.output and "after the newest archived WAL" in run.output
    assert psql(SOLO, CHECKSUM) == before
    assert psql(SOLO, "SELECT pg_postmaster_start_time()") == started


PREVIOUS_COPIES = "ls -d /var/lib/postgresql/*/*.before-restore-* /var/lib/postgresql/*/*.restoring 2>/dev/null; true"
# What a restore that changes nothing must leave as it was: the data, the running postmaster,
# the history (timeline), the archive's server name and Patroni's configuration.
STATE = ("SELECT pg_postmaster_start_time(), timeline_id, (" + CHECKSUM + ") FROM pg_control_checkpoint()")


def solo_state() -> dict:
    return {"postgres": psql(SOLO, STATE), "server": archive_server(SOLO),
            "config": docker_exec(SOLO, "sha256sum", "/etc/patroni/config.yml").stdout,
            "dynamic": patroni_dynamic_config(SOLO), "copies": docker_exec(SOLO, "sh", "-c", PREVIOUS_COPIES).stdout}


def patroni_dynamic_config(host: str) -> dict:
    return json.loads(docker_exec(host, "curl", "-sf", "http://127.0.0.1:8008/config").stdout)


@pytest.fixture
def failing_wal_restore():
    """Recovery cannot fetch a single WAL file on solo while the test runs."""
    script = "/usr/local/bin/dbaas-wal-restore"
    docker_exec(SOLO, "cp", "-p", script, script + ".kept")
    docker_exec(SOLO, "sh", "-c", f"printf '#!/bin/sh\\necho injected failure >&2\\nexit 1\\n' > {script}")
    yield
    docker_exec(SOLO, "mv", script + ".kept", script)


def test_a_copy_that_cannot_recover_is_refused_while_the_cluster_runs_on(lab_inventory, history, failing_wal_restore):
    """Recovery fails beside the cluster: the cluster never stopped, the copy is gone."""
    before = solo_state()
    run = run_playbook("restore", lab_inventory, "-e", "restore_cluster=solo", "-e", f"restore_source_server={history['server']}",
                       "-e", f"restore_target_lsn={history['commits'][3]['lsn']}")
    text = " ".join(run.output.split())
    assert run.rc != 0
    assert "could not be prepared beside the cluster" in text and "The cluster was not touched and keeps running" in text, text[-3000:]
    assert solo_state() == before


def test_a_copy_that_does_not_lead_after_the_swap_is_rolled_back_to_the_old_leader(lab_inventory, history):
    """The swap fails after the cluster stopped (the restored member may not take longer than
    0 s to lead): the old data leads again on its own timeline, every record as before."""
    before = solo_state()
    run = run_playbook("restore", lab_inventory, "-e", "restore_cluster=solo", "-e", f"restore_source_server={history['server']}",
                       "-e", f"restore_target_lsn={history['commits'][3]['lsn']}", "-e", "restore_swap_wait_seconds=0")
    text = " ".join(run.output.split())
    assert run.rc != 0
    assert "The restore failed after the cluster stopped" in text and "Everything is back as it was" in text, text[-3000:]
    assert "did not lead within 0 s" in text
    after = solo_state()
    started_before, timeline_before, checksum_before = before.pop("postgres").split("|")
    started_after, timeline_after, checksum_after = after.pop("postgres").split("|")
    assert started_after != started_before, "the cluster stopped for the swap"
    assert (timeline_after, checksum_after) == (timeline_before, checksum_before)
    assert after == before
    assert cluster_roles(SOLO) == {SOLO: "leader"}


def test_a_restore_while_the_cluster_is_down_keeps_patronis_dynamic_configuration(lab_inventory, history):
    """With Patroni down nobody answers /config: the restored cluster gets the role's values."""
    dynamic = patroni_dynamic_config(SOLO)
    docker_exec(SOLO, "systemctl", "stop", "patroni")
    run = restore(lab_inventory, "solo", "-e", f"restore_source_server={history['server']}",
                  "-e", f"restore_target_lsn={history['commits'][3]['lsn']}")
    assert psql(SOLO, CHECKSUM) == history["commits"][3]["checksum"]
    assert "cluster stopped until the restored member led" in " ".join(run.output.split())
    restored = patroni_dynamic_config(SOLO)
    for key in ("ttl", "loop_wait", "retry_timeout", "maximum_lag_on_failover", "synchronous_mode", "synchronous_mode_strict"):
        assert restored.get(key) == dynamic.get(key), key
    for key in ("use_pg_rewind", "use_slots"):
        assert restored["postgresql"].get(key) == dynamic["postgresql"].get(key), key
    assert restored["postgresql"]["parameters"]["archive_command"] == "/usr/local/bin/dbaas-wal-archive %p"


def test_restores_keep_at_most_restore_keep_previous_data_directories(lab_inventory, history):
    """After every restore of solo in this module (at least four) one previous data directory stays,
    and none with restore_keep_previous=0."""
    copies = docker_exec(SOLO, "sh", "-c", PREVIOUS_COPIES).stdout.split()
    assert len(copies) == 1 and ".before-restore-" in copies[0], copies
    kept = status_json(lab_inventory, "solo")["solo"]["previous_data_dirs"]
    assert [(copy["member"], copy["path"]) for copy in kept] == [(SOLO, copies[0])] and kept[0]["bytes"] > 10 * 2 ** 20, kept
    table = run_playbook("status", lab_inventory, "--limit", "solo")
    assert f"Data directories kept from before restores: {SOLO}:{copies[0]} (" in " ".join(table.output.split()), table.output
    restore(lab_inventory, "solo", "-e", f"restore_source_server={history['server']}",
            "-e", f"restore_target_lsn={history['commits'][3]['lsn']}", "-e", "restore_keep_previous=0")
    assert docker_exec(SOLO, "sh", "-c", PREVIOUS_COPIES).stdout.split() == []
    assert psql(SOLO, CHECKSUM) == history["commits"][3]["checksum"]


def test_a_restore_that_would_not_fit_beside_the_data_directory_is_refused(lab_inventory):
    """The module the restore asks first, on the member itself, for a copy of a petabyte."""
    data_dir = docker_exec(SOLO, "sed", "-n", "s/^  data_dir: //p", "/etc/patroni/config.yml").stdout.strip().strip('"')
    assert data_dir.startswith("/var/lib/postgresql/"), data_dir
    completed = subprocess.run(
        ["ansible", "-i", str(lab_inventory), SOLO, "-b", "-m", "thalassa.dbaas.restore_leftovers",
         "-a", json.dumps({"data_dir": data_dir, "copy_bytes": 10 ** 15})],
        capture_output=True, text=True, check=False, timeout=300, env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
    assert completed.returncode != 0
    assert "The restored copy needs about 1000.4 TiB beside the data directory and only" in completed.stdout, completed.stdout
    assert "Nothing was changed." in completed.stdout


@pytest.fixture
def one_attempt_per_store_call():
    """barman-cloud on solo makes each store call once instead of barman_cloud_store_max_attempts
    (3) times. Against a frozen store each attempt waits out botocore's 60 s connect timeout,
    which barman-cloud does not let anyone lower: the same failure, a third of the wait."""
    config = "/etc/barman-cloud/aws-config"
    docker_exec(SOLO, "cp", "-p", config, config + ".kept")
    docker_exec(SOLO, "sed", "-i", "s/^max_attempts = .*/max_attempts = 1/", config)
    assert "max_attempts = 1" in docker_exec(SOLO, "cat", config).stdout
    yield
    docker_exec(SOLO, "mv", config + ".kept", config)


@pytest.mark.whole_lab
def test_a_store_that_stops_answering_while_the_copy_is_made_leaves_the_cluster_running(lab_inventory, one_attempt_per_store_call):
    """The lab's store freezes (docker pause: connections accepted, nothing answered) once the
    copy's directory appears, during its download or its recovery to latest: the copy fails,
    and the cluster never stopped. whole_lab: every cluster's store freezes with it."""
    before = solo_state()
    data_dir = docker_exec(SOLO, "sed", "-n", "s/^  data_dir: //p", "/etc/patroni/config.yml").stdout.strip().strip('"')
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        running = pool.submit(run_playbook, "restore", lab_inventory, "-e", "restore_cluster=solo", "-e", "restore_target=latest")
        paused = False
        try:
            while not running.done() and not paused:
                if docker_exec(SOLO, "test", "-d", data_dir + ".restoring", check=False).returncode == 0:
                    subprocess.run(["docker", "pause", LAB_STORE], check=True)
                    paused = True
                time.sleep(0.2)
            run = running.result()
        finally:
            if paused:
                subprocess.run(["docker", "unpause", LAB_STORE], check=True)
    assert paused, "the copy's directory never appeared: " + run.output[-3000:]
    text = " ".join(run.output.split())
    assert run.rc != 0
    assert "could not be prepared beside the cluster" in text and "The cluster was not touched and keeps running" in text, text[-3000:]
    # ... because of the store: botocore's "Read timeout" or "Connect timeout on endpoint URL".
    assert "timeout on endpoint URL" in text, text[-3000:]
    assert solo_state() == before


def system_identifier(host: str) -> str:
    return psql(host, "SELECT system_identifier FROM pg_control_system()")


@pytest.mark.whole_lab
def test_restore_of_another_clusters_backups_into_a_cluster_leaves_the_source_alone(lab_inventory):
    leader = demo_leader()
    psql(leader, "DROP TABLE IF EXISTS restore_probe; CREATE TABLE restore_probe (id int PRIMARY KEY, note text)")
    last = commit(leader, [100, 101])
    demo_started = {member: psql(member, "SELECT pg_postmaster_start_time()") for member in DEMO}
    run = restore(lab_inventory, "demo", "-e", "restore_destination_cluster=solo", "-e", "restore_target=latest")
    assert "Restore of the backups of demo into cluster solo" in run.output
    assert "now archives under server solo-" in run.output
    assert psql(SOLO, CHECKSUM) == last["checksum"]
    assert system_identifier(SOLO) == system_identifier(leader)
    # The source cluster ran on, untouched, and still archives where it did.
    assert {member: psql(member, "SELECT pg_postmaster_start_time()") for member in DEMO} == demo_started
    assert psql(leader, CHECKSUM) == last["checksum"]
    assert archive_server(leader).startswith("demo")


def patroni_timeline(host: str) -> int:
    answer = json.loads(docker_exec(host, "curl", "-sf", "http://127.0.0.1:8008/cluster").stdout)
    return next(member["timeline"] for member in answer["members"] if member["role"] == "leader")


@pytest.mark.lane_demo
def test_restore_of_a_three_az_cluster_across_a_switchover_rebuilds_its_replicas(lab_inventory):
    """The base backup was taken on an older timeline than the leader's after a switchover:
    recovery must follow the timeline history in the store to reach the last commit."""
    old = demo_leader()
    psql(old, "DROP TABLE IF EXISTS restore_probe; CREATE TABLE restore_probe (id int PRIMARY KEY, note text)")
    commit(old, [1, 2, 3])
    standby = next(name for name, role in cluster_roles(DEMO[0]).items() if role == "sync_standby")
    switched = run_playbook("switchover", lab_inventory, "-e", "switchover_cluster=demo", "-e", f"switchover_candidate={standby}")
    assert switched.rc == 0, switched.output
    new = demo_leader()
    assert new == standby  # a named candidate (test_ha.py covers the default one)
    last = commit(new, [4, 5])
    timeline = patroni_timeline(new)
    run = restore(lab_inventory, "demo", "-e", "restore_target=latest")
    text = " ".join(run.output.split())
    backup_timeline = int(text.split("WAL to replay: ", 1)[1][:8], 16)
    assert backup_timeline < timeline, "the chosen backup must predate the switchover for this test to mean anything"
    assert "now archives under server demo-" in run.output
    assert_every_demo_member_holds(last["checksum"])


@pytest.fixture
def failing_bootstrap_from_the_copy():
    """On every demo member, Patroni's bootstrap from the restored copy fails; the same command
    still puts the data from before the restore back, as the rollback needs."""
    script = "/usr/local/bin/dbaas-restore-swap-in"
    stand_in = ("#!/bin/sh\ncase \"$1\" in *.restoring) echo 'dbaas-restore-swap-in: injected failure' >&2; exit 1 ;; esac\n"
                f"exec {script}.kept \"$@\"\n")
    for member in DEMO:
        docker_exec(member, "cp", "-p", script, script + ".kept")
        docker_exec(member, "sh", "-c", f'printf "%s" "$1" > {script}', "sh", stand_in)
    yield
    for member in DEMO:
        docker_exec(member, "mv", script + ".kept", script)


def wait_until_every_demo_member_holds(checksum: str, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while any(psql(member, CHECKSUM) != checksum for member in DEMO):
        assert time.monotonic() < deadline, "the replicas did not replay the leader's last commit"
        time.sleep(1)


def demo_state() -> dict:
    return {member: {"postgres": psql(member, STATE), "server": archive_server(member),
                     "config": docker_exec(member, "sha256sum", "/etc/patroni/config.yml").stdout,
                     "copies": docker_exec(member, "sh", "-c", PREVIOUS_COPIES).stdout} for member in DEMO}


@pytest.mark.lane_demo
def test_a_bootstrap_from_the_copy_that_fails_puts_all_three_members_back(lab_inventory, failing_bootstrap_from_the_copy):
    """Patroni cannot bootstrap the chosen member from the copy after the cluster stopped: the
    old leader leads again on its own data and timeline, both replicas stream again from their
    own data directories, and no member keeps a copy or another configuration."""
    leader = demo_leader()
    psql(leader, "CREATE TABLE IF NOT EXISTS restore_probe (id int PRIMARY KEY, note text);"
                 " INSERT INTO restore_probe VALUES (900, 'row 900') ON CONFLICT DO NOTHING")
    wait_until_every_demo_member_holds(psql(leader, CHECKSUM))
    before, roles_before = demo_state(), cluster_roles(leader)
    run = run_playbook("restore", lab_inventory, "-e", "restore_cluster=demo", "-e", "restore_target=latest")
    text = " ".join(run.output.split())
    assert run.rc != 0
    assert "The restore failed after the cluster stopped" in text and "Everything is back as it was" in text, text[-3000:]
    assert "Failed to bootstrap cluster" in text or "injected failure" in text, text[-3000:]
    after = demo_state()
    for member in DEMO:
        started_before, timeline_before, checksum_before = before[member].pop("postgres").split("|")
        started_after, timeline_after, checksum_after = after[member].pop("postgres").split("|")
        assert started_after != started_before, f"{member} stopped for the swap"
        assert (timeline_after, checksum_after) == (timeline_before, checksum_before), member
    assert after == before
    roles_after = cluster_roles(leader)
    assert roles_after[leader] == "leader"
    assert sorted(roles_after.values()) == sorted(roles_before.values()), roles_after
    streaming = json.loads(docker_exec(leader, "curl", "-sf", "http://127.0.0.1:8008/cluster").stdout)
    assert all(member["state"] == "streaming" for member in streaming["members"] if member["name"] != leader), streaming


def test_wal_restore_tells_a_file_the_store_lacks_from_a_store_that_cannot_be_asked():
    """restore_command exits 1 for a WAL file the store does not hold (the archive ends there),
    and above 125 when the store cannot be asked, so that PostgreSQL aborts the recovery instead
    of ending it short of its target or missing a newer timeline."""
    fetch = ["/usr/local/bin/dbaas-wal-restore"]
    missing = docker_exec(SOLO, *fetch, archive_server(SOLO), "000000990000000000000001", "/tmp/wal-probe", user="postgres", check=False)
    assert missing.returncode == 1, missing.stderr
    settings = json.loads(docker_exec(SOLO, "cat", "/etc/barman-cloud/settings.json").stdout)
    nowhere = dict(settings, endpoint_url="https://127.0.0.1:9")  # nothing listens there
    docker_exec(SOLO, "sh", "-c", 'printf "%s" "$1" > /tmp/nowhere.json && chown postgres /tmp/nowhere.json', "sh",
                json.dumps(nowhere, indent=2, sort_keys=True) + "\n")
    try:
        failed = docker_exec(SOLO, *fetch, "--source=/tmp/nowhere.json", archive_server(SOLO), "000000990000000000000001",
                             "/tmp/wal-probe", user="postgres", check=False)
    finally:
        docker_exec(SOLO, "rm", "-f", "/tmp/nowhere.json", "/tmp/wal-probe")
    assert failed.returncode == 255, (failed.returncode, failed.stderr)
    assert "not the end of the archive" in failed.stderr and "https://127.0.0.1:9" in failed.stderr
