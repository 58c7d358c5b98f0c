"""Restore time of the lab's demo cluster with a database of about 1.5 GB, split into base
backup download, WAL replay and total, next to a plain copy of the same backup's bytes from
the same store in the same run (the ratio is the figure), and the write outage the restore
causes: a writer on the leader commits a row every 0.2 s throughout, and the outage is the
longest gap between two acknowledged commits (the cluster stops only for the swap).
Prints figures, asserts nothing.

    python benchmarks/restore.py [--cluster demo] [--scale 100] [--load-seconds 60]

Needs a deployed lab (scripts/demo, or scripts/test) and the repository's venv on PATH.
It REBUILDS the cluster (demo unless --cluster says otherwise): a pgbench database is loaded, a base backup taken, writes
run for --load-seconds (the WAL to replay), then playbooks/restore.yml restores demo to
latest. The plain copy downloads every object of that base backup on the leader with
boto3's managed transfer (the library barman-cloud uses), without unpacking anything.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import lab

REPO = Path(__file__).resolve().parents[1]
PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"

PLAIN_COPY = r"""
import sys, time, boto3
from boto3.s3.transfer import TransferConfig
bucket, prefix, endpoint, addressing, target = sys.argv[1:6]
client = boto3.client("s3", endpoint_url=endpoint,
                      config=boto3.session.Config(s3={"addressing_style": addressing}))
keys = [item for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])]
started = time.monotonic()
for item in keys:
    client.download_file(bucket, item["Key"], target + "/" + item["Key"].replace("/", "_"),
                         Config=TransferConfig(max_concurrency=8))
print(len(keys), sum(item["Size"] for item in keys), round(time.monotonic() - started, 2))
"""


def run(*command: str, **kwargs) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs).stdout.strip()


def sql(host: str, query: str, database: str = "postgres") -> str:
    return run("docker", "exec", "-u", "postgres", host, "psql", "-h", "/var/run/postgresql", "-XAtc", query, database)


def timed(*command: str) -> float:
    started = time.monotonic()
    run(*command)
    return time.monotonic() - started


def backup_settings(host: str) -> dict:
    import json  # pylint: disable=import-outside-toplevel

    return json.loads(run("docker", "exec", host, "cat", "/etc/barman-cloud/settings.json"))


def newest_backup(host: str) -> str:
    import json  # pylint: disable=import-outside-toplevel

    listing = json.loads(run("docker", "exec", "-u", "postgres", host, "/usr/local/bin/dbaas-backup-list"))
    return max(item["backup_id"] for item in listing["backups_list"] if item["status"] == "DONE")


def plain_copy(host: str, settings: dict, backup_id: str) -> tuple[int, int, float]:
    bucket, prefix = settings["bucket"], settings["prefix"].strip("/")
    key_prefix = "%s/%s/base/%s/" % (prefix, settings["server_name"], backup_id)
    run("docker", "exec", host, "install", "-d", "-o", "postgres", "/var/tmp/plain-copy")
    try:
        output = run(
            "docker", "exec", "-u", "postgres", "-i", host, "bash", "-c",
            "AWS_SHARED_CREDENTIALS_FILE=$1 AWS_CONFIG_FILE=$2 exec /opt/barman-cloud/bin/python - \"${@:3}\"", "copy",
            settings["credentials_file"], settings["aws_config_file"],
            bucket, key_prefix, settings["endpoint_url"], settings["addressing_style"], "/var/tmp/plain-copy",
            input=PLAIN_COPY,
        )
    finally:
        run("docker", "exec", host, "rm", "-rf", "/var/tmp/plain-copy")
    objects, size, seconds = output.split()
    return int(objects), int(size), float(seconds)


# Commits a row every 0.2 s and records the time of each acknowledged commit, reconnecting
# through every failure; it runs on the member that leads before and after the restore.
WRITER = r"""
while :; do
  if psql -X -q -h /var/run/postgresql -d postgres -c "INSERT INTO outage_probe VALUES (clock_timestamp())" 2>/dev/null; then
    date +%s.%N >> /tmp/outage-acks
  fi
  sleep 0.2
done
"""


def start_writer(host: str) -> subprocess.Popen:
    run("docker", "exec", host, "rm", "-f", "/tmp/outage-acks")
    return subprocess.Popen(["docker", "exec", "-u", "postgres", host, "bash", "-c", WRITER],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_writer(host: str, writer: subprocess.Popen) -> list[float]:
    writer.terminate()
    run("docker", "exec", host, "pkill", "-f", "outage-acks")
    return [float(line) for line in run("docker", "exec", host, "cat", "/tmp/outage-acks").split()]


def longest_gap(acks: list[float]) -> float:
    return max((later - earlier for earlier, later in zip(acks, acks[1:])), default=float("nan"))


def restore_figures(output: str) -> dict:
    text = " ".join(output.split())
    found = re.search(r"Seconds: base backup download ([0-9.]+), WAL replay and promotion ([0-9.-]+) \(both beside the running "
                      r"cluster\), cluster stopped until the restored member led ([0-9.]+), total with replicas and the new base "
                      r"backup ([0-9.]+)", text)
    if not found:
        sys.exit("restore.yml printed no timing line:\n" + output[-3000:])
    return dict(zip(["download", "replay", "led", "total"], map(float, found.groups())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=100, help="pgbench scale (100 is about 1.5 GB)")
    parser.add_argument("--load-seconds", type=int, default=60, help="pgbench run after the backup (WAL to replay)")
    lab.add_cluster_argument(parser, "demo")
    arguments = parser.parse_args()

    cluster = lab.chosen_cluster(arguments, "demo")
    host = lab.leader(cluster)
    print("cluster %s, leader: %s; pgbench scale %d, then %d s of writes after the base backup" % (cluster, host, arguments.scale, arguments.load_seconds))
    sql(host, "DROP TABLE IF EXISTS outage_probe; CREATE TABLE outage_probe (at timestamptz)")
    sql(host, "DROP DATABASE IF EXISTS bench")
    sql(host, "CREATE DATABASE bench")
    seconds = timed("docker", "exec", "-u", "postgres", host, PGBENCH, "-h", "/var/run/postgresql", "-i", "-q",
                    "-s", str(arguments.scale), "bench")
    size = sql(host, "SELECT pg_size_pretty(sum(pg_database_size(datname))) FROM pg_database")
    print("load: %s in %.1f s" % (size, seconds))

    seconds = timed("docker", "exec", "-u", "postgres", host, "/usr/local/bin/dbaas-backup", "bench-base")
    backup_id = newest_backup(host)
    print("base backup %s: %.1f s" % (backup_id, seconds))

    start_lsn = sql(host, "SELECT pg_current_wal_lsn()")
    run("docker", "exec", "-u", "postgres", host, PGBENCH, "-h", "/var/run/postgresql", "-c", "4", "-T",
        str(arguments.load_seconds), "bench")
    wal = int(float(sql(host, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '%s')" % start_lsn)))
    print("WAL written after the backup: %.0f MB" % (wal / 2**20))

    objects, size, copy_seconds = plain_copy(host, backup_settings(host), backup_id)
    print("plain copy of the backup's %d objects (%.0f MB in the store): %.1f s (%.1f MB/s)"
          % (objects, size / 2**20, copy_seconds, size / 2**20 / copy_seconds))

    writer = start_writer(host)
    time.sleep(2)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(REPO / ".build" / "dev")))
    completed = subprocess.run(
        ["ansible-playbook", "-i", str(Path(os.environ.get("LAB_STATE_DIR", REPO / ".lab")) / "inventory"), "thalassa.dbaas.restore",
         "-e", "restore_cluster=" + cluster, "-e", "restore_target=latest"],
        capture_output=True, text=True, env=env, check=False,
    )
    time.sleep(2)
    acks = stop_writer(host, writer)
    if completed.returncode != 0:
        sys.exit("restore.yml failed:\n" + completed.stdout[-4000:])
    figures = restore_figures(completed.stdout)
    print("restore: base download %(download).1f s and WAL replay and promotion %(replay).1f s beside the running cluster, "
          "cluster stopped until the restored member led %(led).1f s, total with replicas re-cloned and a new base backup %(total).1f s"
          % figures)
    print("write outage (longest gap between acknowledged commits, one every 0.2 s): %.1f s over %d commits"
          % (longest_gap(acks), len(acks)))
    print("ratio base download / plain copy: %.2f" % (figures["download"] / copy_seconds))
    print("ratio time until the restored member leads / plain copy: %.2f" % (figures["led"] / copy_seconds))


if __name__ == "__main__":
    main()
