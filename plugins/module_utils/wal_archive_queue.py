# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the parallel WAL archiver uploads next, and which of its records it may forget.

Pure logic, shared by the archiver daemon on each member (the barman_cloud role copies this
file next to it) and the unit tests. PostgreSQL marks a finished WAL file ready for the
archive with pg_wal/archive_status/<name>.ready and asks archive_command for one file at a
time; the archiver uploads the files PostgreSQL asks for first, then the next ready ones
("archive ahead"), a few at a time, and records each upload that is durably in the store in
a marker file, so that when PostgreSQL asks for that file the answer is immediate.
"""

from __future__ import annotations

import re

# Names barman-cloud-wal-archive accepts (barman.xlog.is_any_xlog_file): segments, the
# .partial segment a promotion leaves, backup labels and timeline history files.
SEGMENT = re.compile(r"^[0-9A-F]{24}$")
PARTIAL = re.compile(r"^[0-9A-F]{24}\.partial$")
BACKUP_LABEL = re.compile(r"^[0-9A-F]{24}\.[0-9A-F]{8}\.backup$")
HISTORY = re.compile(r"^[0-9A-F]{8}\.history$")

READY_SUFFIX = ".ready"
DONE_MARKER = ".ok"
FAILED_MARKER = ".error"
WANTED_MARKER = ".want"


def is_wal_name(name: str) -> bool:
    return any(pattern.match(name) for pattern in (SEGMENT, PARTIAL, BACKUP_LABEL, HISTORY))


def ready_names(status_entries) -> list:
    """The WAL file names that archive_status marks ready, ignoring anything else."""
    names = [entry[:-len(READY_SUFFIX)] for entry in status_entries if entry.endswith(READY_SUFFIX)]
    return [name for name in names if is_wal_name(name)]


def archive_key(name: str) -> tuple:
    """Upload order: timeline history files first (a restore needs them to follow a
    timeline switch), then by timeline and position, so that an older timeline's segments
    and its .partial go before the new timeline's."""
    if HISTORY.match(name):
        return (0, name)
    return (1, name[:8], name[8:24], name[24:])


def next_uploads(ready, wanted, in_flight, vouched, slots: int) -> list:
    """The files to start uploading now, at most `slots` of them.

    wanted: files PostgreSQL is asking for right now whose marker is missing (their
    archive_command waits): these go first. Then the other ready files in archive order,
    skipping those uploading now and those a marker already vouches for (PostgreSQL has
    not asked for them yet, or has not renamed their .ready yet)."""
    if slots <= 0:
        return []
    busy = set(in_flight)
    chosen = [name for name in sorted(set(wanted), key=archive_key) if name not in busy]
    taken = busy | set(chosen) | set(vouched)
    chosen += [name for name in sorted(set(ready), key=archive_key) if name not in taken]
    return chosen[:slots]


def marker_wal_name(marker: str):
    """(WAL file name, kind) of a marker file name, or None for anything else."""
    for kind in (DONE_MARKER, FAILED_MARKER, WANTED_MARKER):
        if marker.endswith(kind) and is_wal_name(marker[:-len(kind)]):
            return marker[:-len(kind)], kind
    return None


def destination_identity(destination: str, server: str, compression: str) -> str:
    """What a done marker vouches for: the file is in this store, under this server name,
    compressed this way. A marker written for another destination (the settings changed,
    or a restore made the cluster archive under a new server name) does not count."""
    return "%s %s %s" % (destination, server, compression)


def forgettable_markers(markers, wal_files, ready) -> list:
    """Markers to delete: those of WAL files that are neither in pg_wal nor ready any
    more. PostgreSQL removes or recycles a WAL file only after archive_command succeeded
    for it, so nobody will ask about it again; this keeps the record as small as pg_wal."""
    present = set(wal_files) | set(ready)
    forgettable = []
    for marker in markers:
        parsed = marker_wal_name(marker)
        if parsed and parsed[0] not in present:
            forgettable.append(marker)
    return sorted(forgettable)
