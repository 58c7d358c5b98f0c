"""Changes without outages (issue 26) on the lab's 3-AZ "demo" cluster: a change that
restarts a service restarts one member at a time, under a client that records every commit
the server acknowledged."""

from __future__ import annotations

import subprocess
import threading

import pytest

from conftest import docker_exec, run_playbook
from test_ha import DEMO, all_streaming, leader, rows, wait_until
# recorder is a fixture of test_ha.py, shared here.
from test_ha import recorder  # noqa: F401  pylint: disable=unused-import

pytestmark = pytest.mark.lane_demo


class ServiceSampler(threading.Thread):
    """Asks every member, round after round, whether a unit is active; keeps each round's answers."""

    def __init__(self, unit: str) -> None:
        super().__init__(daemon=True)
        self.unit = unit
        self.rounds: list[dict[str, bool]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.rounds.append({host: subprocess.run(["docker", "exec", host, "systemctl", "is-active", "--quiet", self.unit],
                                                     check=False).returncode == 0 for host in DEMO})

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=30)

    def most_down_at_once(self) -> int:
        return max((sum(not active for active in answers.values()) for answers in self.rounds), default=0)


def started_at(host: str, unit: str) -> str:
    return docker_exec(host, "systemctl", "show", "-p", "ExecMainStartTimestampMonotonic", "--value", unit).stdout.strip()


def test_an_etcd_configuration_change_restarts_one_member_at_a_time_and_loses_no_commit(lab_inventory, recorder):
    wait_until("a healthy cluster", all_streaming)
    old_leader = leader()
    before = {host: started_at(host, "etcd") for host in DEMO}
    sampler = ServiceSampler("etcd")
    sampler.start()
    try:
        changed = run_playbook("site", lab_inventory, "--limit", "demo", "--tags", "etcd", "-e", "etcd_heartbeat_interval=150")
        assert changed.rc == 0, changed.output
        restarted = {host: started_at(host, "etcd") for host in DEMO}
        assert "150" in docker_exec(DEMO[0], "sed", "-n", "s/^ETCD_HEARTBEAT_INTERVAL=//p", "/etc/default/etcd").stdout
    finally:
        # Back to the inventory's timing, by the same rolling restart.
        back = run_playbook("site", lab_inventory, "--limit", "demo", "--tags", "etcd")
        sampler.stop()
    assert back.rc == 0, back.output
    assert all(restarted[host] != before[host] for host in DEMO), (before, restarted)  # every member restarted
    assert len(sampler.rounds) > 100, len(sampler.rounds)
    assert sampler.most_down_at_once() <= 1, [answers for answers in sampler.rounds if sum(not a for a in answers.values()) > 1][:3]
    recorder.stop()
    assert leader() == old_leader
    assert recorder.errors == [], recorder.errors[:5]
    assert set(recorder.acknowledged) <= rows(leader())
    print(f"\n{len(sampler.rounds)} samples of etcd on the 3 members over two rolling restarts: at most "
          f"{sampler.most_down_at_once()} down at once; {len(recorder.acknowledged)} commits, no client error")
