"""WAL archive throughput on a lab cluster's leader: plain serial barman-cloud-wal-archive
(one process per segment) against dbaas-wal-archiver (one long-lived process, uploads ahead
in parallel), with the same compression and the same pgbench load. Prints figures, asserts
nothing. Needs a deployed lab and the repository's venv: scripts/demo's (cluster demo) or
scripts/test's, where it takes solo (a single member: no replica competes for the 2 cores).

    python benchmarks/wal_archive.py [--cluster solo|demo] [--scale 100] [--codecs gzip,lz4,zstd,none]
                                     [--codec-segments 24] [--parallel 1,2,4,8] [--no-load]

For each way of archiving, two runs of `pgbench -i -s SCALE`:
  live   archiving runs during the load: peak backlog of .ready files, seconds from the
         end of the load until the backlog is 0, segments/s from the load's start to then
  held   archive_command is emptied and the archiver stopped during the load (PostgreSQL
         keeps the segments, as in a store outage), then both restored: segments/s while
         draining that backlog (archiver start-up included), the throughput without the
         load competing
Serial means dbaas-wal-archiver stopped: archive_command then runs barman-cloud-wal-archive
itself, once per segment. Codecs: one long-lived uploader (the archiver's code path)
uploads the same segments with each codec, PARALLEL at a time, under a scratch server name
that is deleted afterwards; codec libraries missing from the venv are installed into it.
Parallelism: the same uploader with the configured codec, 1, 2, 4, 8 at a time (what
barman_cloud_archive_parallel sets). --no-load skips the two pgbench runs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import threading
import time

import lab

HOST = ""  # the leader of --cluster, found by main()
PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
VENV = "/opt/barman-cloud"
CODEC_LIBRARIES = {"zstd": "zstandard", "lz4": "lz4", "snappy": "python-snappy"}

CODEC_PROBE = r"""
import os, shutil, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
sys.path.insert(0, "/usr/local/lib/dbaas")
import barman_cloud_settings
from dbaas_wal_archiver import Settings
from barman.clients.cloud_walarchive import CloudWalUploader, parse_arguments
from barman.cloud_providers import get_cloud_interface
codec, count, parallel = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
values = barman_cloud_settings.read("/etc/barman-cloud/settings.json")
os.environ.update(barman_cloud_settings.aws_environment(values))
values["compression"], values["server_name"] = codec, "bench-codec-" + codec
settings = Settings(values)
wal = os.path.join(os.environ["PGDATA"], "pg_wal")
sources = sorted(n for n in os.listdir(wal) if len(n) == 24)[:count]
scratch = tempfile.mkdtemp()
for name in sources:
    shutil.copy(os.path.join(wal, name), scratch)
import threading
local = threading.local()
def upload(name):
    if not hasattr(local, "uploader"):
        config = parse_arguments(settings.arguments)
        local.uploader = CloudWalUploader(get_cloud_interface(config), settings.server,
                                          compression=config.compression, compression_level=config.compression_level)
    local.uploader.upload_wal(os.path.join(scratch, name))
with ThreadPoolExecutor(parallel) as pool:
    list(pool.map(upload, sources[:parallel]))  # warm up: sessions and connections
    started = time.monotonic()
    list(pool.map(upload, sources))
    seconds = time.monotonic() - started
config = parse_arguments(settings.arguments)
cloud = get_cloud_interface(config)
keys = list(cloud.list_bucket(os.path.join(cloud.path, settings.server) + "/", delimiter=""))
cloud.delete_objects(keys)
shutil.rmtree(scratch)
print(len(sources), round(seconds, 2))
"""


def run(*command: str, **kwargs) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs).stdout.strip()


def sql(query: str) -> str:
    return run("docker", "exec", "-u", "postgres", HOST, "psql", "-h", "/var/run/postgresql", "-XAtc", query)


def backlog() -> int:
    return int(sql("SELECT count(*) FROM pg_ls_dir('pg_wal/archive_status') AS f WHERE f LIKE '%.ready'"))


def archived_count() -> int:
    return int(sql("SELECT archived_count FROM pg_stat_archiver"))


def set_archive_command(command: str | None) -> None:
    """Empties archive_command (PostgreSQL then keeps every segment) or puts Patroni's back."""
    if command is None:
        sql("ALTER SYSTEM RESET archive_command")
    else:
        sql(f"ALTER SYSTEM SET archive_command = '{command}'")
    sql("SELECT pg_reload_conf()")


def wait_for_empty_backlog(seconds: float = 1800) -> float:
    started = time.monotonic()
    while backlog():
        if time.monotonic() - started > seconds:
            raise SystemExit("backlog not drained in %d s" % seconds)
        time.sleep(0.2)
    return time.monotonic()


class BacklogSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak = max(self.peak, backlog())
            time.sleep(0.25)


def load(scale: int) -> float:
    sql("DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history")
    sql("CHECKPOINT")
    started = time.monotonic()
    run("docker", "exec", "-u", "postgres", HOST, PGBENCH, "-h", "/var/run/postgresql", "-i", "-q", "-s", str(scale), "postgres")
    return started


def live_run(scale: int) -> dict:
    wait_for_empty_backlog()
    before = archived_count()
    sampler = BacklogSampler()
    sampler.start()
    started = load(scale)
    loaded = time.monotonic()
    sql("SELECT pg_switch_wal()")
    drained = wait_for_empty_backlog()
    sampler.stopped.set()
    sampler.join()
    segments = archived_count() - before
    return {"segments": segments, "load": loaded - started, "peak": sampler.peak, "after_load": drained - loaded,
            "rate": segments / (drained - started)}


def held_run(scale: int, archiver: bool) -> dict:
    """The archiver is stopped while archiving is held: it would upload the ready segments
    ahead, and the drain would only collect its answers."""
    wait_for_empty_backlog()
    use_archiver(False)
    set_archive_command("")
    try:
        load(scale)
        sql("SELECT pg_switch_wal()")
        time.sleep(1)
        held = backlog()
        before = archived_count()
    finally:
        released = time.monotonic()
        if archiver:
            run("docker", "exec", HOST, "systemctl", "start", "dbaas-wal-archiver")
        set_archive_command(None)
    drained = wait_for_empty_backlog()
    segments = archived_count() - before
    return {"segments": segments, "held": held, "seconds": drained - released, "rate": segments / (drained - released)}


def use_archiver(on: bool) -> None:
    run("docker", "exec", HOST, "systemctl", "start" if on else "stop", "dbaas-wal-archiver")
    time.sleep(2)  # a fresh heartbeat, or a stale one


def codec_rates(codecs: list[str], count: int, parallel: int) -> None:
    missing = [CODEC_LIBRARIES[c] for c in codecs if c in CODEC_LIBRARIES]
    if missing:
        run("docker", "exec", HOST, f"{VENV}/bin/pip", "install", "-q", *missing)
    print(f"codecs ({count} segments, {parallel} at a time, one long-lived uploader):")
    for codec in codecs:
        print(f"  {codec:6} {probe(codec, count, parallel):6.1f} segments/s", flush=True)


def probe(codec: str, count: int, parallel: int) -> float:
    """Segments/s of one long-lived uploader, the archiver's code path."""
    data_dir = sql("SHOW data_directory")
    out = run("docker", "exec", "-i", "-u", "postgres", "-e", f"PGDATA={data_dir}", HOST, f"{VENV}/bin/python", "-",
              codec, str(count), str(parallel), input=CODEC_PROBE)
    segments, seconds = out.split()[-2:]
    return int(segments) / float(seconds)


def parallel_rates(codec: str, count: int, levels: list[int]) -> None:
    print(f"parallelism ({count} segments, {codec}, one long-lived uploader):")
    rates = {level: probe(codec, count, level) for level in levels}
    for level, rate in rates.items():
        print(f"  {level} at a time: {rate:6.1f} segments/s ({rate / rates[levels[0]]:.2f}x {levels[0]} at a time)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--codecs", default="gzip,lz4,zstd,none")
    parser.add_argument("--codec-segments", type=int, default=24)
    parser.add_argument("--parallel", default="1,2,4,8")
    parser.add_argument("--no-load", action="store_true")
    lab.add_cluster_argument(parser, "solo", "demo")
    arguments = parser.parse_args()
    global HOST  # pylint: disable=global-statement
    cluster = lab.chosen_cluster(arguments, "solo", "demo")
    HOST = lab.leader(cluster)
    settings = json.loads(run("docker", "exec", HOST, "cat", "/etc/barman-cloud/settings.json"))
    parallel = int(run("docker", "exec", HOST, "systemctl", "show", "-p", "Environment", "--value", "dbaas-wal-archiver")
                   .split("DBAAS_ARCHIVER_PARALLEL=")[1].split()[0])
    print(f"{cluster}, leader {HOST}: pgbench -i -s {arguments.scale}, compression {settings['compression']}, "
          f"archiver parallelism {parallel}")
    results = {}
    try:
        for name, on in () if arguments.no_load else (("serial", False), ("parallel", True)):
            use_archiver(on)
            live, held = live_run(arguments.scale), held_run(arguments.scale, on)
            results[name] = (live, held)
            print(f"  {name:8} live: {live['segments']} segments, load {live['load']:.1f} s, peak backlog {live['peak']}, "
                  f"backlog 0 {live['after_load']:.1f} s after the load, {live['rate']:.2f} segments/s", flush=True)
            print(f"  {name:8} held: {held['held']} segments waiting drained in {held['seconds']:.1f} s, "
                  f"{held['rate']:.2f} segments/s", flush=True)
    finally:
        use_archiver(True)
    if len(results) == 2:
        print("ratio parallel/serial: live %.1fx, held %.1fx" % (
            results["parallel"][0]["rate"] / results["serial"][0]["rate"],
            results["parallel"][1]["rate"] / results["serial"][1]["rate"]))
    sql("DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history")
    codec_rates([c for c in arguments.codecs.split(",") if c], arguments.codec_segments, parallel)
    parallel_rates(settings["compression"], arguments.codec_segments,
                   [int(level) for level in arguments.parallel.split(",") if level])


if __name__ == "__main__":
    main()
