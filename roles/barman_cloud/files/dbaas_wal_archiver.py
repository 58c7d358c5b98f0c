# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dbaas-wal-archiver: uploads PostgreSQL's ready WAL files to the object store a few at a
time from one long-lived process, with barman-cloud's own uploader (same object names,
compression and metadata as barman-cloud-wal-archive).

archive_command (dbaas-wal-archive %p) asks for one file by writing <spool>/<name>.want and
waits for <spool>/<name>.ok (the file is durably in the store; the marker names the store,
server and compression it is in) or <name>.error (the upload failed; PostgreSQL keeps the
file and asks again). Meanwhile this process uploads the next files PostgreSQL marked
ready, so that most answers are already there when asked. A marker is written only after
the store acknowledged the upload: a crash at any point costs at worst an upload again.
When this process is not running, dbaas-wal-archive runs barman-cloud-wal-archive itself.
"""

import json
import logging
import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import barman_cloud_settings  # noqa: E402  pylint: disable=wrong-import-position,import-error
import wal_archive_queue as queue  # noqa: E402  pylint: disable=wrong-import-position,import-error
from barman.clients.cloud_walarchive import CloudWalUploader, parse_arguments  # noqa: E402  pylint: disable=import-error
from barman.cloud_providers import get_cloud_interface  # noqa: E402  pylint: disable=import-error

SETTINGS_FILE = os.environ.get("DBAAS_ARCHIVER_SETTINGS", "/etc/barman-cloud/settings.json")
POLL_SECONDS = 0.05
CLEANUP_SECONDS = 10
RETRY_AHEAD_SECONDS = 10

log = logging.getLogger("dbaas-wal-archiver")


def file_signature(paths):
    signature = []
    for path in paths:
        try:
            status = os.stat(path)
            signature.append((path, status.st_mtime_ns, status.st_size))
        except FileNotFoundError:
            signature.append((path, None, None))
    return tuple(signature)


def write_atomically(path, content):
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def remove_quietly(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class Settings:
    """The store settings of settings.json, as barman-cloud-wal-archive gets them."""

    def __init__(self, values):
        self.values = values
        self.destination = values["destination_url"]
        self.server = values["server_name"]
        self.compression = values.get("compression") or "none"
        self.identity = queue.destination_identity(self.destination, self.server, self.compression)
        self.arguments = barman_cloud_settings.cloud_arguments(values)
        self.files = [SETTINGS_FILE, values["credentials_file"], values["aws_config_file"]]


class Archiver:
    def __init__(self, spool, parallel):
        self.spool = spool
        self.parallel = parallel
        self.settings = None
        self.signature = None
        self.generation = 0
        self.data_dir = None
        self.lock = threading.Lock()
        self.in_flight = set()
        self.vouched = set()  # files a marker says are in the store, under the current settings
        self.failed_at = {}
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="upload")
        self.stopping = threading.Event()
        self.last_cleanup = 0.0
        self.last_heartbeat = 0.0
        self.counts = {"uploaded": 0, "uploaded_ahead": 0, "failed": 0, "last_error": ""}

    # Settings: read again whenever the env, credentials or AWS config file changes (site.yml
    # rotated a key, a restore gave the cluster a new server name), before the next upload.
    def refresh_settings(self):
        signature = file_signature(self.settings.files if self.settings else [SETTINGS_FILE])
        if signature == self.signature:
            return
        try:
            settings = Settings(barman_cloud_settings.read(SETTINGS_FILE))
        except (OSError, KeyError, ValueError) as error:
            if self.settings is not None:
                log.warning("store settings unreadable (%s): uploads wait until they are back", error)
            self.settings, self.signature = None, signature
            return
        os.environ.update(barman_cloud_settings.aws_environment(settings.values))
        self.settings = settings
        self.signature = file_signature(settings.files)
        # New settings (a restore moved archiving to a new server name, say): nothing is
        # uploaded ahead until PostgreSQL asks again and so names its data directory.
        self.data_dir = None
        vouched = set()
        for entry in os.listdir(self.spool):
            parsed = queue.marker_wal_name(entry)
            if parsed and parsed[1] == queue.DONE_MARKER and self.has_valid_done_marker(parsed[0]):
                vouched.add(parsed[0])
        with self.lock:
            self.generation += 1
            self.vouched = vouched
            self.failed_at.clear()
        log.info("archiving into %s, server %s, compression %s, %d at a time",
                 settings.destination, settings.server, settings.compression, self.parallel)

    def uploader(self, settings, generation):
        """One barman-cloud uploader per thread (boto3 sessions are not shared between
        threads), made again when the settings change."""
        if getattr(self.local, "generation", None) != generation:
            config = parse_arguments(settings.arguments)
            self.local.uploader = CloudWalUploader(
                cloud_interface=get_cloud_interface(config), server_name=settings.server,
                compression=config.compression, compression_level=config.compression_level)
            self.local.generation = generation
        return self.local.uploader

    def upload(self, name, settings, generation, data_dir, ahead):
        path = os.path.join(data_dir, "pg_wal", name)
        try:
            started = time.monotonic()
            self.uploader(settings, generation).upload_wal(path)
            write_atomically(os.path.join(self.spool, name + queue.DONE_MARKER), settings.identity + "\n")
            remove_quietly(os.path.join(self.spool, name + queue.FAILED_MARKER))
            remove_quietly(os.path.join(self.spool, name + queue.WANTED_MARKER))
            with self.lock:
                if generation == self.generation:
                    self.vouched.add(name)
                self.failed_at.pop(name, None)
                self.counts["uploaded"] += 1
                self.counts["uploaded_ahead"] += int(ahead)
            log.debug("%s archived in %.2f s", name, time.monotonic() - started)
        except Exception as error:  # pylint: disable=broad-exception-caught
            message = "barman-cloud could not archive %s: %s" % (name, error)
            self.refuse(name, message)
            with self.lock:
                self.failed_at[name] = time.monotonic()
                self.counts["failed"] += 1
                self.counts["last_error"] = message
        finally:
            with self.lock:
                self.in_flight.discard(name)

    def refuse(self, name, message):
        """Answer a request with an error at once (archive_command fails, and PostgreSQL keeps
        the file and asks again): for an upload that failed, or a request it cannot serve."""
        log.error(message)
        write_atomically(os.path.join(self.spool, name + queue.FAILED_MARKER), message)
        remove_quietly(os.path.join(self.spool, name + queue.WANTED_MARKER))

    def has_valid_done_marker(self, name):
        try:
            with open(os.path.join(self.spool, name + queue.DONE_MARKER), encoding="utf-8") as marker:
                return marker.read().strip() == self.settings.identity
        except FileNotFoundError:
            return False

    def requests(self, spool_entries):
        """Files PostgreSQL waits for, and the data directory their requests name."""
        wanted = []
        for entry in spool_entries:
            parsed = queue.marker_wal_name(entry)
            if parsed and parsed[1] == queue.WANTED_MARKER:
                try:
                    with open(os.path.join(self.spool, entry), encoding="utf-8") as request:
                        data_dir = request.read().strip()
                except FileNotFoundError:
                    continue
                if data_dir and os.path.isdir(os.path.join(data_dir, "pg_wal")):
                    self.data_dir = data_dir
                elif not self.data_dir:
                    self.refuse(parsed[0], "dbaas-wal-archiver cannot find the data directory of %s: the request names %r"
                                % (parsed[0], data_dir))
                    continue
                if not self.has_valid_done_marker(parsed[0]):
                    wanted.append(parsed[0])
        return wanted

    def ready_files(self):
        if not self.data_dir:
            return []
        try:
            return queue.ready_names(os.listdir(os.path.join(self.data_dir, "pg_wal", "archive_status")))
        except FileNotFoundError:
            return []

    def cleanup(self, spool_entries, ready):
        now = time.monotonic()
        if now - self.last_cleanup < CLEANUP_SECONDS or not self.data_dir:
            return
        self.last_cleanup = now
        try:
            wal_files = os.listdir(os.path.join(self.data_dir, "pg_wal"))
        except FileNotFoundError:
            return
        for marker in queue.forgettable_markers(spool_entries, wal_files, ready):
            remove_quietly(os.path.join(self.spool, marker))
            with self.lock:
                self.vouched.discard(queue.marker_wal_name(marker)[0])

    def heartbeat(self):
        """Once a second: the heartbeat archive_command checks, and the counters since start."""
        now = time.monotonic()
        if now - self.last_heartbeat >= 1:
            path = os.path.join(self.spool, "heartbeat")
            with open(path, "a", encoding="utf-8"):
                os.utime(path)
            with self.lock:
                counts = dict(self.counts, in_flight=len(self.in_flight), parallel=self.parallel)
            write_atomically(os.path.join(self.spool, "counts.json"), json.dumps(counts))
            self.last_heartbeat = now

    def step(self):
        self.heartbeat()
        self.refresh_settings()
        if self.settings is None:
            return
        spool_entries = os.listdir(self.spool)
        wanted = self.requests(spool_entries)
        ready = self.ready_files()
        self.cleanup(spool_entries, ready)
        if not self.data_dir:
            return
        now = time.monotonic()
        with self.lock:
            in_flight = set(self.in_flight)
            vouched = set(self.vouched)
            retry_later = {name for name, at in self.failed_at.items() if now - at < RETRY_AHEAD_SECONDS}
            generation = self.generation
        ahead = [name for name in ready if name not in retry_later]
        batch = queue.next_uploads(ahead, wanted, in_flight, vouched, self.parallel - len(in_flight))
        for name in batch:
            with self.lock:
                self.in_flight.add(name)
            self.pool.submit(self.upload, name, self.settings, generation, self.data_dir, name not in wanted)

    def run(self):
        while not self.stopping.is_set():
            try:
                self.step()
            except OSError as error:
                log.error("%s", error)
                time.sleep(1)
            self.stopping.wait(POLL_SECONDS)
        self.pool.shutdown(wait=True)
        # Stopped on purpose: archive_command falls back to barman-cloud-wal-archive at once.
        remove_quietly(os.path.join(self.spool, "heartbeat"))


def main():
    logging.basicConfig(level=os.environ.get("DBAAS_ARCHIVER_LOG_LEVEL", "INFO"),
                        format="%(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    spool = os.environ["DBAAS_ARCHIVER_SPOOL"]
    parallel = max(1, int(os.environ.get("DBAAS_ARCHIVER_PARALLEL", "4")))
    archiver = Archiver(spool, parallel)
    signal.signal(signal.SIGTERM, lambda *_: archiver.stopping.set())
    signal.signal(signal.SIGINT, lambda *_: archiver.stopping.set())
    archiver.run()


if __name__ == "__main__":
    main()
