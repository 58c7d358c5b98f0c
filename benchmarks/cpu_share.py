"""Where the CPU goes while a command runs: each lab container, the docker daemons, the rest.

    python benchmarks/cpu_share.py -- scripts/test molecule
    python benchmarks/cpu_share.py --seconds 300        (whatever runs meanwhile)

The suite is CPU-bound on a small machine, so its time is cut by cutting CPU work, and this
says whose work it is. Runs on the lab that is up (scripts/demo's or scripts/test's): a
container's figure is its cgroup's (cpuacct), so it holds everything run inside it,
`docker exec` included; "docker daemons" is dockerd, containerd and the shims
(each `docker exec` costs there too); "controller and the rest" is the machine's busy time
less both, which on a test run is mostly ansible-playbook, pytest and the docker CLI.
Linux only (cgroup v1 cpuacct or cgroup v2 cpu.stat).
"""

import argparse
import os
import subprocess
import sys
import time

CGROUP_ROOTS = ("/sys/fs/cgroup/cpuacct/docker", "/sys/fs/cgroup/cpu,cpuacct/docker",
                "/sys/fs/cgroup/system.slice")
DAEMONS = ("dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v2")  # /proc's 15-char names
TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy_seconds():
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / TICKS


def container_names():
    out = subprocess.run(["docker", "ps", "--no-trunc", "--format", "{{.ID}} {{.Names}}"],
                         capture_output=True, text=True, check=False).stdout
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def container_seconds(container_id):
    for root in CGROUP_ROOTS:
        for path, scale in (("%s/%s/cpuacct.usage" % (root, container_id), 1e9),
                            ("%s/docker-%s.scope/cpu.stat" % (root, container_id), None)):
            if os.path.exists(path):
                with open(path, encoding="ascii") as usage:
                    text = usage.read()
                if scale:
                    return int(text) / scale
                return int(dict(line.split() for line in text.splitlines())["usage_usec"]) / 1e6
    return None


def daemon_seconds():
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % pid, encoding="ascii", errors="replace") as stat:
                text = stat.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        if name in DAEMONS:
            fields = text[text.rindex(")") + 2:].split()
            # A shim reaps what `docker exec` ran, whose time its container already counts.
            own = fields[11:13] if name.startswith("containerd-shim") else fields[11:15]
            total += sum(int(value) for value in own) / TICKS
    return total


def snapshot(names):
    return {"machine": machine_busy_seconds(), "daemons": daemon_seconds(),
            "containers": {names[cid]: container_seconds(cid) for cid in names}}


def report(before, after, wall):
    rows = []
    inside = 0.0
    for name, seconds in sorted(after["containers"].items()):
        start = before["containers"].get(name)
        if seconds is None or start is None:
            continue
        rows.append((name, seconds - start))
        inside += seconds - start
    daemons = after["daemons"] - before["daemons"]
    busy = after["machine"] - before["machine"]
    rows.append(("docker daemons", daemons))
    rows.append(("controller and the rest", busy - inside - daemons))
    print("wall %.0f s, busy CPU %.0f s (%.2f cores of %d)" % (wall, busy, busy / wall, os.cpu_count()))
    for name, seconds in sorted(rows, key=lambda row: -row[1]):
        print("%-34s %8.1f s  %5.1f%%" % (name, seconds, 100 * seconds / busy if busy else 0))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, help="measure for this long instead of running a command")
    parser.add_argument("command", nargs="*")
    args = parser.parse_args()
    if not args.command and not args.seconds:
        parser.error("give a command (after --) or --seconds")
    names = container_names()
    before, started = snapshot(names), time.monotonic()
    rc = 0
    if args.command:
        rc = subprocess.call(args.command)
    else:
        time.sleep(args.seconds)
    report(before, snapshot(names), time.monotonic() - started)
    return rc


if __name__ == "__main__":
    sys.exit(main())
