# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dbaas-backup-replication: copies everything barman-cloud wrote for a cluster (base
backups, WAL, and this collection's records beside them) from the DBaaS bucket to a second
S3-compatible store, then removes from the copy only the backups the source's retention
removed long enough ago (backup_replication.copy_deletions), and records the outcome.

The copy is rclone's: `rclone copy --checksum` adds new objects and updates changed ones
(barman rewrites only backup.info), never deletes. The source is read with a read-only key.
Deletions in the copy go through barman-cloud-backup-delete, so WAL no backup needs any more
goes with them exactly as barman decides at the source.

    python dbaas_backup_replication.py [--settings FILE] [--any-member] [--dry-run]

Prints the outcome as JSON and writes it to the state file; exits 1 when the copy failed.
--dry-run reports what a copy would transfer and delete, and changes nothing anywhere.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import backup_catalog as catalog  # noqa: E402  pylint: disable=wrong-import-position,import-error
import backup_replication as replication  # noqa: E402  pylint: disable=wrong-import-position,import-error
import backup_store  # noqa: E402  pylint: disable=wrong-import-position,import-error
import store_client  # noqa: E402  pylint: disable=wrong-import-position,import-error
from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402  pylint: disable=wrong-import-position,import-error

SETTINGS = "/etc/barman-cloud/replication.json"


class CopyFailed(Exception):
    pass


def now():
    return datetime.now(timezone.utc)


def is_leader(api_url):
    try:
        with urllib.request.urlopen(api_url.rstrip("/") + "/primary", timeout=5) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


SYSTEM_CAS = "/etc/ssl/certs/ca-certificates.crt"


def rclone_ca_bundle(settings, directory):
    """rclone takes one set of CAs for both remotes: the two stores' own, or the system's for a
    store that has none. None when neither store has a CA of its own."""
    files = [settings[role].get("ca_bundle") or SYSTEM_CAS for role in ("source", "copy")]
    if files == [SYSTEM_CAS, SYSTEM_CAS]:
        return None
    path = os.path.join(directory, "rclone-ca.pem")
    with open(path, "w", encoding="utf-8") as bundle:
        for name in dict.fromkeys(files):
            with open(name, encoding="utf-8") as part:
                bundle.write(part.read().rstrip("\n") + "\n")
    return path


def prefix_of(store):
    prefix = store["prefix"].strip("/")
    return prefix + "/" if prefix else ""


def list_objects(s3, store, role):
    """{key: size} under the store's prefix; a refusal names the store and its key."""
    try:
        objects, _prefixes = backup_store.list_keys(s3, store["bucket"], prefix_of(store))
        return {item["Key"]: item["Size"] for item in objects}
    except (BotoCoreError, ClientError) as error:
        raise CopyFailed("the %s store (%s, bucket %s) refused to list with the key %s: %s. Check "
                         "backup_replication_%s_access_key/_secret_key and that this key may list and read"
                         % (role, store["endpoint_url"], store["bucket"], store["access_key"], str(error).rstrip("."), role)) from error


def read_backups(s3, store, objects):
    """Every backup under the prefix, of every server name, with the server it belongs to."""
    prefix = prefix_of(store)
    servers = sorted({key[len(prefix):].split("/", 1)[0] for key in objects if key[len(prefix):].count("/") >= 3})
    backups = []
    for server in servers:
        base = catalog.base_prefix(store["prefix"], server)
        under_base = [{"Key": key, "Size": size} for key, size in objects.items() if key.startswith(base)]
        backups += [dict(backup, server=server) for backup in backup_store.read_backups(s3, store["bucket"], base, under_base)]
    return backups


def rclone_remote_env(name, store):
    upper = "RCLONE_CONFIG_%s_" % name.upper()
    return {
        upper + "TYPE": "s3",
        upper + "PROVIDER": "Other",
        upper + "ENV_AUTH": "false",
        upper + "ACCESS_KEY_ID": store["access_key"],
        upper + "SECRET_ACCESS_KEY": store["secret_key"],
        upper + "ENDPOINT": store["endpoint_url"],
        upper + "REGION": store["region"],
        upper + "FORCE_PATH_STYLE": "true" if store["addressing_style"] == "path" else "false",
        # The source key may only read: rclone must not try to create its bucket.
        upper + "NO_CHECK_BUCKET": "true",
    }


def run_rclone(settings, dry_run):
    source, copy = settings["source"], settings["copy"]
    env = dict(os.environ, **rclone_remote_env("source", source), **rclone_remote_env("copy", copy))
    with tempfile.TemporaryDirectory(prefix="dbaas-rclone-") as directory:
        ca_bundle = rclone_ca_bundle(settings, directory)
        argv = [
            settings.get("rclone", "rclone"), "copy", "--config", "", "--checksum", "--use-json-log",
            # INFO logs each object copied; a long stats interval leaves just the final totals.
            "--log-level", "INFO", "--stats", "1h",
            "--transfers", str(settings.get("transfers", 4)),
        ] + (["--ca-cert", ca_bundle] if ca_bundle else []) + (["--dry-run"] if dry_run else []) + [
            "source:%s/%s" % (source["bucket"], source["prefix"].strip("/")),
            "copy:%s/%s" % (copy["bucket"], copy["prefix"].strip("/")),
        ]
        result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    lines = (result.stderr + result.stdout).splitlines()
    totals = replication.rclone_totals(lines)
    if result.returncode != 0:
        errors = [json.loads(line).get("msg", line) for line in lines if '"level":"error"' in line.replace(" ", "")]
        raise CopyFailed("rclone copy failed (exit %d): %s" % (result.returncode, "; ".join(errors[-3:]) or lines[-3:]))
    return totals


def delete_from_copy(settings, backup):
    """barman-cloud-backup-delete on the copy: the backup and the WAL only it needed."""
    copy = settings["copy"]
    argv = [os.path.join(settings["barman_bin"], "barman-cloud-backup-delete")] + store_client.barman_cloud_options(copy) + [
        "-b", backup["backup_id"], "s3://%s/%s" % (copy["bucket"], copy["prefix"].strip("/")), backup["server"]]
    result = subprocess.run(argv, env=store_client.barman_cloud_env(copy, os.environ), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise CopyFailed("barman-cloud-backup-delete of %s/%s in the copy failed: %s"
                         % (backup["server"], backup["backup_id"], result.stderr.strip()[-500:]))


def missing_objects(source_objects, copy_objects):
    return sorted(key for key, size in source_objects.items() if copy_objects.get(key) != size)


def replicate(settings, dry_run=False):
    source_client, copy_client = store_client.make_client(settings["source"]), store_client.make_client(settings["copy"])
    list_objects(source_client, settings["source"], "source")
    list_objects(copy_client, settings["copy"], "copy")
    totals = run_rclone(settings, dry_run)
    source_objects = list_objects(source_client, settings["source"], "source")
    copy_objects = list_objects(copy_client, settings["copy"], "copy")
    source_backups = read_backups(source_client, settings["source"], source_objects)
    copy_backups = read_backups(copy_client, settings["copy"], copy_objects)
    plan = replication.copy_deletions(source_backups, copy_backups, int(settings["retention_days"]),
                                      int(settings["delete_delay_days"]), now())
    for backup in [] if dry_run else plan["delete"]:
        delete_from_copy(settings, backup)
    deleted = {(item["server"], item["backup_id"]) for item in plan["delete"]}
    copy_backups = [item for item in copy_backups if (item["server"], item["backup_id"]) not in deleted]
    behind = missing_objects(source_objects, copy_objects)
    return {
        "copied_objects": totals["objects"],
        "copied_bytes": totals["bytes"],
        "checked_objects": totals["checks"],
        "deleted_backups": ["%s/%s" % key for key in sorted(deleted)],
        "held_backups": [{"backup": "%s/%s" % (item["server"], item["backup_id"]), "reason": item["reason"]}
                         for item in plan["held"]],
        "deletion_horizon": plan["horizon"],
        "source_backups": len(source_backups),
        "copy_backups": len(copy_backups),
        "objects_behind": len(behind),
        "lag": replication.copy_lag(source_backups, copy_backups, now()),
    }


def write_state(path, state):
    directory = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".replication-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(state, out, indent=2, sort_keys=True)
    os.replace(temporary, path)


def read_state(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--settings", default=SETTINGS)
    parser.add_argument("--any-member", action="store_true", help="copy even when this member does not lead")
    parser.add_argument("--dry-run", action="store_true", help="say what would be copied and deleted; change nothing")
    args = parser.parse_args()
    with open(args.settings, encoding="utf-8") as handle:
        settings = json.load(handle)
    if not args.any_member and not is_leader(settings["patroni_api_url"]):
        print(json.dumps({"skipped": "not the leader: the copy runs on the leader"}))
        return 0
    previous = read_state(settings["state_file"])
    started = now()
    state = {"started_at": started.isoformat(),
             "source_store": "%s s3://%s/%s" % (settings["source"]["endpoint_url"], settings["source"]["bucket"],
                                                settings["source"]["prefix"]),
             "copy_store": "%s s3://%s/%s" % (settings["copy"]["endpoint_url"], settings["copy"]["bucket"], settings["copy"]["prefix"]),
             "last_success_at": previous.get("last_success_at")}
    try:
        state.update(replicate(settings, args.dry_run))
        state.update(ok=True, dry_run=args.dry_run)
        if not args.dry_run:
            state.update(last_success_at=now().isoformat())
    except (CopyFailed, BotoCoreError, ClientError) as error:
        state.update(ok=False, error=str(error))
    state.update(finished_at=now().isoformat(), seconds=round((now() - started).total_seconds(), 1))
    if not args.dry_run:
        write_state(settings["state_file"], state)
    print(json.dumps(state, indent=2, sort_keys=True))
    return 0 if state["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
