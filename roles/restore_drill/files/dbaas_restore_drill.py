# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dbaas-restore-drill: proves that a cluster's newest backup restores. On the drill host,
never on a member: restores the newest DONE base backup (barman-cloud-restore) into a
scratch data directory, recovers it with barman-cloud-wal-restore to the end of the archived
WAL, and checks the result:

- recovery replays into the newest WAL segment the store held when the drill started, the
  instance reaches consistency, ends recovery and accepts connections;
- amcheck: bt_index_check(heapallindexed) on every valid B-tree index and verify_heapam on
  every table, materialized view and TOAST table, in every database;
- with data checksums on, pg_checksums --check on the stopped instance;
- the marker row restore_drill.yml wrote on the leader before the drill is there;
- row counts of every user table, and checksums of the tables asked for, are recorded.

The scratch instance runs with archiving off, its own port and socket, no TCP listener and
no SSL, so it writes nothing to the cluster's archive and nobody reaches it. The outcome
(time, backup, restored point, durations, problems) goes to the store beside the backups
(thalassa-dbaas/<server>/drills/<id>.json) and to <work dir>/<cluster>/last.json; the
scratch directory is removed.

    python dbaas_restore_drill.py CLUSTER [--settings-dir DIR] [--marker ID]

Prints the outcome as JSON; exits 1 when the drill failed.
"""

import argparse
import contextlib
import fcntl
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import backup_catalog as catalog  # noqa: E402  pylint: disable=wrong-import-position,import-error
import restore_drill as drill  # noqa: E402  pylint: disable=wrong-import-position,import-error
import wal_archive  # noqa: E402  pylint: disable=wrong-import-position,import-error
import backup_store  # noqa: E402  pylint: disable=wrong-import-position,import-error
import psycopg2  # noqa: E402  pylint: disable=wrong-import-position,import-error
import store_client  # noqa: E402  pylint: disable=wrong-import-position,import-error
from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402  pylint: disable=wrong-import-position,import-error

SETTINGS_DIR = "/etc/dbaas-drill"
INDEXES = """
SELECT c.oid, c.oid::regclass::text FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
WHERE a.amname = 'btree' AND i.indisvalid AND i.indisready AND c.relpersistence <> 't'
ORDER BY 2
"""
RELATIONS = """
SELECT c.oid, c.oid::regclass::text FROM pg_class c
WHERE c.relkind IN ('r', 'm', 't') AND c.relpersistence <> 't' ORDER BY 2
"""
USER_TABLES = """
SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY 1
"""


class DrillFailed(Exception):
    pass


def now():
    return datetime.now(timezone.utc)


def seconds_since(started):
    return round(time.monotonic() - started, 1)


def run(argv, env=None, what=None):
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise DrillFailed("%s failed (exit %d): %s" % (what or argv[0], result.returncode, " / ".join(detail)))
    return result.stdout


class Store:
    """The cluster's store as barman-cloud and boto3 see it."""

    def __init__(self, settings):
        self.settings = settings
        self.client = store_client.make_client(settings)
        self.bucket = settings["bucket"]
        self.prefix = settings["prefix"].strip("/")

    def env(self):
        return store_client.barman_cloud_env(self.settings, os.environ)

    def cloud_options(self):
        return store_client.barman_cloud_options(self.settings)

    def destination(self):
        return "s3://%s/%s" % (self.bucket, self.prefix)

    def keys(self, prefix):
        objects, _prefixes = backup_store.list_keys(self.client, self.bucket, prefix)
        return objects

    def read_json(self, key):
        return backup_store.read_json(self.client, self.bucket, key)

    def current_server(self, cluster):
        server, _chain = wal_archive.current_server(
            cluster, lambda name: self.read_json(wal_archive.owner_record_key(self.prefix, name)))
        return server

    def backups(self, server):
        return backup_store.read_backups(self.client, self.bucket, catalog.base_prefix(self.prefix, server))

    def newest_wal(self, server):
        keys = [item["Key"] for item in self.keys(catalog.wals_prefix(self.prefix, server))]
        newest = catalog.newest_wal_key([key for key in keys if ".partial" not in key and ".backup" not in key])
        return catalog.wal_name(newest) if newest else None

    def put_record(self, server, drill_id, record):
        key = drill.record_key(self.prefix, server, drill_id)
        backup_store.write_json(self.client, self.bucket, key, record)
        return key


class Scratch:
    """The throwaway PostgreSQL instance of one drill."""

    def __init__(self, settings, store, server):
        self.settings = settings
        self.store = store
        self.server = server
        self.home = os.path.join(settings["work_dir"], settings["cluster"])
        self.data = os.path.join(self.home, "data")
        self.bin = settings["postgresql_bin"]
        self.port = str(settings["port"])

    def clean(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            subprocess.run([os.path.join(self.bin, "pg_ctl"), "stop", "-D", self.data, "-m", "immediate", "-w"],
                           capture_output=True, check=False)
        shutil.rmtree(self.data, ignore_errors=True)

    def restore(self, backup_id):
        os.makedirs(self.home, mode=0o700, exist_ok=True)
        self.clean()
        run([os.path.join(self.settings["barman_bin"], "barman-cloud-restore")] + self.store.cloud_options()
            + [self.store.destination(), self.server, backup_id, self.data],
            env=self.store.env(), what="barman-cloud-restore of backup %s" % backup_id)

    def configure(self):
        for name in ("standby.signal", "postmaster.pid"):
            if os.path.exists(os.path.join(self.data, name)):
                os.remove(os.path.join(self.data, name))
        with open(os.path.join(self.data, "recovery.signal"), "w", encoding="utf-8"):
            pass
        with open(os.path.join(self.home, "hba.conf"), "w", encoding="utf-8") as hba:
            hba.write("local all postgres peer\n")
        with open(os.path.join(self.home, "ident.conf"), "w", encoding="utf-8"):
            pass
        os.chmod(self.data, 0o700)

    def options(self):
        """Overrides of the backed-up configuration: nothing leaves this host, nobody gets in."""
        restore_command = " ".join(
            [os.path.join(self.settings["barman_bin"], "barman-cloud-wal-restore")] + self.store.cloud_options()
            + [self.store.destination(), self.server, "%f", "%p"])
        settings = {
            "port": self.port, "listen_addresses": "", "unix_socket_directories": self.home,
            "archive_mode": "off", "archive_command": "", "ssl": "off",
            "hba_file": os.path.join(self.home, "hba.conf"), "ident_file": os.path.join(self.home, "ident.conf"),
            "restore_command": restore_command, "recovery_target_timeline": "latest",
            "primary_conninfo": "", "primary_slot_name": "", "synchronous_standby_names": "",
            "hot_standby": "on", "cluster_name": "drill-" + self.settings["cluster"],
            "logging_collector": "off", "log_destination": "stderr",
        }
        return " ".join("-c " + shlex.quote("%s=%s" % (name, value)) for name, value in settings.items())

    def start(self):
        run([os.path.join(self.bin, "pg_ctl"), "start", "-D", self.data, "-l", os.path.join(self.home, "postgresql.log"),
             "-o", self.options(), "-w", "-t", str(self.settings["replay_timeout"])],
            env=self.store.env(), what="starting the restored instance (its log: %s)" % os.path.join(self.home, "postgresql.log"))

    @contextlib.contextmanager
    def cursor(self, database="postgres"):
        connection = psycopg2.connect(host=self.home, port=self.port, user="postgres", dbname=database)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                yield cursor
        finally:
            connection.close()

    def wait_for_end_of_recovery(self):
        deadline = time.monotonic() + self.settings["replay_timeout"]
        while time.monotonic() < deadline:
            with self.cursor() as cursor:
                cursor.execute("SELECT pg_is_in_recovery()")
                if not cursor.fetchone()[0]:
                    cursor.execute("SELECT pg_last_wal_replay_lsn()::text, pg_last_xact_replay_timestamp()::text, "
                                   "current_setting('data_checksums')")
                    return cursor.fetchone()
            time.sleep(1)
        raise DrillFailed("recovery did not end within %d s" % self.settings["replay_timeout"])

    def stop(self):
        run([os.path.join(self.bin, "pg_ctl"), "stop", "-D", self.data, "-m", "fast", "-w"], what="stopping the restored instance")

    def verify_checksums(self):
        result = subprocess.run([os.path.join(self.bin, "pg_checksums"), "--check", "-D", self.data],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            return ["pg_checksums: " + line for line in (result.stderr + result.stdout).strip().splitlines()[-5:]]
        return []


def check_database(scratch, database, checksum_tables):
    """amcheck on every index and relation of one database; its row counts and checksums."""
    problems, counts, checksums, checked = [], {}, {}, {"indexes": 0, "relations": 0}
    with scratch.cursor(database) as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        cursor.execute(INDEXES)
        for oid, name in cursor.fetchall():
            try:
                cursor.execute("SELECT bt_index_check(%s::regclass, true)", (oid,))
                checked["indexes"] += 1
            except psycopg2.Error as error:
                problems.append("%s: bt_index_check(%s): %s" % (database, name, str(error).strip()))
        cursor.execute(RELATIONS)
        for oid, name in cursor.fetchall():
            try:
                cursor.execute("SELECT blkno, offnum, msg FROM verify_heapam(%s::regclass, check_toast := true)", (oid,))
                problems += ["%s: verify_heapam(%s) block %s offset %s: %s" % (database, name, *row) for row in cursor.fetchall()]
                checked["relations"] += 1
            except psycopg2.Error as error:
                problems.append("%s: verify_heapam(%s): %s" % (database, name, str(error).strip()))
        cursor.execute(USER_TABLES)
        for (table,) in cursor.fetchall():
            cursor.execute("SELECT count(*) FROM %s" % table)  # names quoted by format('%I.%I')
            counts["%s.%s" % (database, table)] = cursor.fetchone()[0]
        for wanted in checksum_tables:
            wanted_database, _dot, table = wanted.partition(".")
            if wanted_database == database:
                cursor.execute("SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM %s t"
                               % ".".join('"%s"' % part.replace('"', '""') for part in table.split(".")))
                checksums[wanted] = cursor.fetchone()[0]
    return problems, counts, checksums, checked


def check(scratch, marker, checksum_tables):
    outcome = {"problems": [], "row_counts": {}, "table_checksums": {}, "indexes_checked": 0, "relations_checked": 0}
    with scratch.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1")
        databases = [row[0] for row in cursor.fetchall()]
        if marker:
            cursor.execute("SELECT to_regclass('public.dbaas_restore_drill') IS NOT NULL")
            found = cursor.fetchone()[0]
            if found:
                cursor.execute("SELECT count(*) FROM public.dbaas_restore_drill WHERE drill_id = %s", (marker,))
                found = cursor.fetchone()[0] == 1
            outcome["marker_found"] = found
            if not found:
                outcome["problems"].append("the marker %s written on the leader before the drill is not in the restored "
                                           "data: recovery stopped before it" % marker)
    outcome["databases"] = databases
    for database in databases:
        problems, counts, checksums, checked = check_database(scratch, database, checksum_tables)
        outcome["problems"] += problems
        outcome["row_counts"].update(counts)
        outcome["table_checksums"].update(checksums)
        outcome["indexes_checked"] += checked["indexes"]
        outcome["relations_checked"] += checked["relations"]
    return outcome


def drill_once(settings, marker, record):
    store = Store(settings)
    server = store.current_server(settings["cluster"])
    record["server"] = server
    backup = drill.newest_done_backup(store.backups(server))
    if not backup:
        raise DrillFailed("server %s in %s has no DONE backup to restore" % (server, store.destination()))
    record.update(backup_id=backup["backup_id"], backup_end_time=backup["end_time"])
    record["newest_wal_at_start"] = store.newest_wal(server)
    scratch = Scratch(settings, store, server)
    try:
        started = time.monotonic()
        scratch.restore(backup["backup_id"])
        record["seconds"]["download"] = seconds_since(started)
        scratch.configure()
        started = time.monotonic()
        scratch.start()
        restored_lsn, restored_time, data_checksums = scratch.wait_for_end_of_recovery()
        record["seconds"]["replay"] = seconds_since(started)
        record.update(restored_lsn=restored_lsn, restored_time=restored_time, data_checksums=data_checksums == "on")
        reached, why = drill.reached_expected_point(restored_lsn, record["newest_wal_at_start"])
        record["reached"] = why
        if not reached:
            record["problems"].append(why)
        started = time.monotonic()
        outcome = check(scratch, marker, settings.get("checksum_tables", []))
        record["problems"] += outcome.pop("problems")
        record.update(outcome)
        scratch.stop()
        if record["data_checksums"]:
            record["problems"] += scratch.verify_checksums()
        record["seconds"]["checks"] = seconds_since(started)
    finally:
        scratch.clean()
    return store


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("cluster")
    parser.add_argument("--settings-dir", default=SETTINGS_DIR)
    parser.add_argument("--marker", help="drill id of the marker row restore_drill.yml wrote on the leader")
    args = parser.parse_args()
    with open(os.path.join(args.settings_dir, args.cluster + ".json"), encoding="utf-8") as handle:
        settings = json.load(handle)
    os.makedirs(settings["work_dir"], exist_ok=True)
    lock = open(os.path.join(settings["work_dir"], ".lock"), "w", encoding="utf-8")  # pylint: disable=consider-using-with
    fcntl.flock(lock, fcntl.LOCK_EX)  # one drill at a time on this host: they share the port

    started = now()
    clock = time.monotonic()
    drill_id = started.strftime("%Y%m%dT%H%M%S")
    record = {"drill_id": drill_id, "cluster": args.cluster, "host": os.uname().nodename, "started_at": started.isoformat(),
              "marker": args.marker, "problems": [], "seconds": {}}
    store = None
    try:
        store = drill_once(settings, args.marker, record)
    except (DrillFailed, BotoCoreError, ClientError, psycopg2.Error, OSError) as error:
        record["problems"].append(str(error).strip())
    except Exception as error:  # pylint: disable=broad-except  # recorded and reported, never lost in a traceback
        record["problems"].append("unexpected %s: %s" % (type(error).__name__, error))
    record["seconds"]["total"] = seconds_since(clock)
    record.update(ok=not record["problems"], finished_at=now().isoformat())
    try:
        store = store or Store(settings)
        # Beside the backups drilled, also when the drill failed after finding them.
        record["record_key"] = store.put_record(record.get("server") or args.cluster, drill_id, record)
    except (BotoCoreError, ClientError) as error:
        record["problems"].append("the drill's record could not be written to the store: %s" % error)
        record["ok"] = False
    with open(os.path.join(settings["work_dir"], args.cluster + ".last.json"), "w", encoding="utf-8") as last:
        json.dump(record, last, indent=2, sort_keys=True)
    print(json.dumps(record, indent=2, sort_keys=True))
    return 0 if record["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
