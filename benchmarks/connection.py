"""What one Ansible module run costs over each connection the lab offers: SSH (as users'
inventories reach their hosts; the lab's default) and docker exec (LAB_CONNECTION=docker).

On one lab host, each round runs a playbook of N module runs (command and stat, pipelined)
and one of N raw commands over each connection in turn, and prints the wall time, the
machine's CPU seconds (every process: controller, ssh or docker, the host's Python) and the
controller's own, with the ratio docker/SSH. The suite is CPU-bound on the lab machine, so
CPU seconds per module run is the figure that sets how long a playbook takes there.

Needs a lab up with its default SSH connection, scripts/demo's or scripts/test's (any of its
hosts).

    python benchmarks/connection.py [--host thalassa-lab-drill] [--runs 60] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

import lab

PLAYBOOKS = {
    "module": "- hosts: all\n  gather_facts: false\n  tasks:\n"
              "    - {ansible.builtin.command: 'true', changed_when: false, loop: '{{ range(%(half)d) | list }}'}\n"
              "    - {ansible.builtin.stat: {path: /etc/hostname}, loop: '{{ range(%(half)d) | list }}'}\n",
    "raw": "- hosts: all\n  gather_facts: false\n  tasks:\n"
           "    - {ansible.builtin.raw: 'true', changed_when: false, loop: '{{ range(%(runs)d) | list }}'}\n",
}


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot (/proc/stat: all but idle and iowait)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def controller_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def lab_connections(host: str) -> dict:
    """The host reached both ways: the lab inventory's SSH settings, and docker exec."""
    data = yaml.safe_load((lab.INVENTORY / "hosts.yml").read_text())
    settings = data["all"]["vars"]
    if settings.get("ansible_connection") != "ansible.builtin.ssh":
        sys.exit("the lab at %s does not use SSH (LAB_CONNECTION=docker?): bring it up with scripts/lab up" % lab.INVENTORY)
    address = next(values["ansible_host"] for group in walk_groups(data["all"])
                   for name, values in (group.get("hosts") or {}).items() if name == host and values)
    ssh = {key: value for key, value in settings.items() if key.startswith("ansible_") and key != "ansible_connection"}
    return {
        "ssh": {**ssh, "ansible_connection": "ansible.builtin.ssh", "ansible_host": address},
        "docker": {"ansible_connection": "community.docker.docker", "ansible_host": host,
                   "ansible_python_interpreter": settings["ansible_python_interpreter"]},
    }


def walk_groups(group: dict):
    yield group
    for child in (group.get("children") or {}).values():
        yield from walk_groups(child or {})


def measure(inventory: Path, playbook: Path, connection: str) -> tuple[float, float, float]:
    wall, busy, controller = time.monotonic(), busy_cpu_seconds(), controller_cpu_seconds()
    completed = subprocess.run(["ansible-playbook", "-i", str(inventory), str(playbook), "--limit", connection],
                               capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        sys.exit("the %s run failed:\n%s" % (connection, completed.stdout[-2000:] + completed.stderr[-2000:]))
    return time.monotonic() - wall, busy_cpu_seconds() - busy, controller_cpu_seconds() - controller


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="thalassa-lab-drill", help="the lab host to run on (default: the drill host)")
    parser.add_argument("--runs", type=int, default=60, help="module runs per playbook (default 60)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each connection once per round (default 3)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        inventory = Path(work) / "hosts.yml"
        inventory.write_text(yaml.safe_dump({"all": {"hosts": lab_connections(arguments.host)}}))
        playbooks = {}
        for kind, text in PLAYBOOKS.items():
            playbooks[kind] = Path(work) / f"{kind}.yml"
            playbooks[kind].write_text(text % {"half": arguments.runs // 2, "runs": arguments.runs})
        results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        for _round in range(arguments.rounds):
            for kind, playbook in playbooks.items():
                for connection in ("ssh", "docker"):
                    results.setdefault((kind, connection), []).append(measure(inventory, playbook, connection))
    runs = arguments.runs // 2 * 2
    print(f"{runs} runs per playbook on {arguments.host}, {arguments.rounds} rounds; medians")
    print(f"{'playbook':8} {'connection':10} {'wall s':>8} {'CPU s':>8} {'controller CPU s':>17} {'CPU s per run':>14}")
    medians = {}
    for (kind, connection), samples in results.items():
        wall, busy, controller = (sorted(column)[len(column) // 2] for column in zip(*samples))
        medians[kind, connection] = (wall, busy)
        print(f"{kind:8} {connection:10} {wall:8.1f} {busy:8.1f} {controller:17.1f} {busy / runs:14.3f}")
    for kind in PLAYBOOKS:
        (ssh_wall, ssh_cpu), (docker_wall, docker_cpu) = medians[kind, "ssh"], medians[kind, "docker"]
        print(f"{kind}: docker/ssh wall {docker_wall / ssh_wall:.2f}x, CPU {docker_cpu / ssh_cpu:.2f}x")


if __name__ == "__main__":
    main()
