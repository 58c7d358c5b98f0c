"""Off-site copy throughput from a lab cluster's leader: dbaas-backup-replication (rclone copy,
--transfers parallel) into a fresh bucket on the second endpoint, next to a plain sequential
boto3 get/put of the same objects between the same stores from the same host, in the same
run (the ratio is the figure). A second replication run shows what an up-to-date copy costs.
Prints figures, asserts nothing.

    python benchmarks/offsite_copy.py [--cluster solo|demo] [--scale 20] [--transfers 4]

Needs a deployed lab: scripts/demo's (cluster demo) or scripts/test's, where it takes solo.
It loads pgbench data into the cluster and takes a base backup (both removed from the
database afterwards; the backup stays in the store), and deletes the benchmark's buckets at
the end.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time

import lab

HOST = ""  # the leader of --cluster, found by main()
PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
SETTINGS = "/etc/barman-cloud/replication.json"

PLAIN_COPY = r"""
import json, sys, time, boto3
from botocore.config import Config
settings = json.load(open(sys.argv[1])); target_bucket = sys.argv[2]
def client(store):
    return boto3.client("s3", endpoint_url=store["endpoint_url"], region_name=store["region"],
                        aws_access_key_id=store["access_key"], aws_secret_access_key=store["secret_key"],
                        config=Config(s3={"addressing_style": store["addressing_style"]}))
source, copy = client(settings["source"]), client(settings["copy"])
bucket, prefix = settings["source"]["bucket"], settings["source"]["prefix"].strip("/") + "/"
keys = [item for page in source.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])]
started = time.monotonic()
for item in keys:
    body = source.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    copy.put_object(Bucket=target_bucket, Key=item["Key"], Body=body)
print(json.dumps({"objects": len(keys), "bytes": sum(item["Size"] for item in keys),
                  "seconds": round(time.monotonic() - started, 2)}))
"""


def run(*command: str, **kwargs) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs).stdout.strip()


def on_host(*command: str, user: str = "postgres", **kwargs) -> str:
    return run("docker", "exec", "-i", "-u", user, HOST, *command, **kwargs)


def sql(query: str) -> str:
    return on_host("psql", "-h", "/var/run/postgresql", "-XAtc", query)


def settings_for(bucket: str, transfers: int) -> str:
    """A copy of the host's replication settings that copies into bucket; returns its path."""
    settings = json.loads(on_host("cat", SETTINGS))
    settings["copy"]["bucket"] = bucket
    settings["transfers"] = transfers
    settings["state_file"] = "/tmp/bench-replication-state.json"
    path = "/tmp/bench-replication-%s.json" % bucket
    on_host("sh", "-c", "umask 077; cat > %s" % path, input=json.dumps(settings))
    return path


def make_bucket(path: str, bucket: str) -> None:
    script = ("import json, sys, boto3; from botocore.config import Config; s = json.load(open(sys.argv[1]))['copy']; "
              "boto3.client('s3', endpoint_url=s['endpoint_url'], region_name=s['region'], aws_access_key_id=s['access_key'], "
              "aws_secret_access_key=s['secret_key'], config=Config(s3={'addressing_style': s['addressing_style']}))"
              ".%s(Bucket=sys.argv[2])")
    on_host("/opt/barman-cloud/bin/python", "-c", script % "create_bucket", path, bucket)


def drop_bucket(path: str, bucket: str) -> None:
    script = ("import json, sys, boto3; from botocore.config import Config; s = json.load(open(sys.argv[1]))['copy']; "
              "c = boto3.client('s3', endpoint_url=s['endpoint_url'], region_name=s['region'], aws_access_key_id=s['access_key'], "
              "aws_secret_access_key=s['secret_key'], config=Config(s3={'addressing_style': s['addressing_style']})); "
              "b = c.list_object_versions(Bucket=sys.argv[2]); "
              "[c.delete_object(Bucket=sys.argv[2], Key=v['Key'], VersionId=v['VersionId']) "
              "for page in c.get_paginator('list_object_versions').paginate(Bucket=sys.argv[2]) "
              "for v in page.get('Versions', []) + page.get('DeleteMarkers', [])]; c.delete_bucket(Bucket=sys.argv[2])")
    on_host("/opt/barman-cloud/bin/python", "-c", script, path, bucket)


def replicate(path: str) -> dict:
    started = time.monotonic()
    state = json.loads(on_host("/usr/local/bin/dbaas-backup-replication", "--settings", path, "--any-member"))
    state["wall_seconds"] = round(time.monotonic() - started, 2)
    return state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=20, help="pgbench scale of the data backed up (20: about 300 MB)")
    parser.add_argument("--transfers", type=int, default=4)
    lab.add_cluster_argument(parser, "solo", "demo")
    args = parser.parse_args()
    global HOST  # pylint: disable=global-statement
    cluster = lab.chosen_cluster(args, "solo", "demo")
    HOST = lab.leader(cluster)

    print("loading pgbench -s %d on %s (%s) and taking a base backup..." % (args.scale, cluster, HOST))
    on_host(PGBENCH, "-h", "/var/run/postgresql", "-i", "-q", "-s", str(args.scale), "postgres")
    on_host("/usr/local/bin/dbaas-backup", "offsite-bench")
    stamp = time.strftime("%Y%m%d%H%M%S")
    rclone_bucket, plain_bucket = "bench-rclone-%s" % stamp, "bench-plain-%s" % stamp
    rclone_settings, plain_settings = settings_for(rclone_bucket, args.transfers), settings_for(plain_bucket, args.transfers)
    try:
        make_bucket(rclone_settings, rclone_bucket)
        make_bucket(plain_settings, plain_bucket)
        first = replicate(rclone_settings)
        again = replicate(rclone_settings)
        plain = json.loads(on_host("/opt/barman-cloud/bin/python", "-c", PLAIN_COPY, plain_settings, plain_bucket))
    finally:
        for path, bucket in ((rclone_settings, rclone_bucket), (plain_settings, plain_bucket)):
            drop_bucket(path, bucket)
            on_host("rm", "-f", path)
        sql("DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers")

    mib = 1024 * 1024
    rclone_rate = first["copied_bytes"] / mib / first["seconds"]
    plain_rate = plain["bytes"] / mib / plain["seconds"]
    print("\n%s's whole prefix, lab endpoint -> second endpoint, from its leader %s (2 cores)" % (cluster, HOST))
    print("  dbaas-backup-replication (rclone, %d transfers): %d objects, %.1f MiB in %.1f s = %.1f MiB/s"
          % (args.transfers, first["copied_objects"], first["copied_bytes"] / mib, first["seconds"], rclone_rate))
    print("  plain sequential boto3 get/put:                  %d objects, %.1f MiB in %.1f s = %.1f MiB/s"
          % (plain["objects"], plain["bytes"] / mib, plain["seconds"], plain_rate))
    print("  ratio replication / plain: %.2fx" % (rclone_rate / plain_rate))
    print("  second run (copy up to date): %d objects copied, %.1f s" % (again["copied_objects"], again["seconds"]))


if __name__ == "__main__":
    main()
