# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an in-place restore leaves beside a data directory, and whether a restore fits.

An in-place restore keeps the data directory it replaced as <data_dir>.before-restore-<stamp>
(the stamp sorts by time: %Y%m%dT%H%M%S). At most `keep` of those stay; the next restore
removes the older ones. A restore needs room for its copy beside everything it keeps.
"""

from __future__ import annotations

import re

PREVIOUS_SUFFIX = ".before-restore-"
_STAMP = re.compile(r"^\d{8}T\d{6}$")
# Beside the base backup, recovery holds WAL in pg_wal (up to max_wal_size between
# restartpoints) and writes a little more; a tenth of the data on top covers the rest.
SPACE_MARGIN = 0.1


def previous_copies(data_dir: str, names: list[str]) -> list[str]:
    """The previous data directories among the names beside data_dir, newest first."""
    prefix = data_dir.rstrip("/") + PREVIOUS_SUFFIX
    found = [name for name in names if name.startswith(prefix) and _STAMP.match(name[len(prefix):])]
    return sorted(found, key=lambda name: name[len(prefix):], reverse=True)


def copies_to_remove(copies_newest_first: list[str], keep: int) -> list[str]:
    """The previous copies beyond the newest `keep`."""
    if keep < 0:
        raise ValueError("keep must be 0 or more, not %d" % keep)
    return copies_newest_first[keep:]


def space_needed(cluster_bytes: int | None, max_wal_bytes: int) -> int | None:
    """Bytes a restored copy needs beside the data directory; None when the backup's size is unknown."""
    if cluster_bytes is None:
        return None
    return int(cluster_bytes * (1 + SPACE_MARGIN)) + max_wal_bytes


def space_problem(free_bytes: int, needed_bytes: int | None, copies: list[dict]) -> str | None:
    """Why the copy does not fit, with what could make room; None when it fits or is unknown."""
    if needed_bytes is None or free_bytes >= needed_bytes:
        return None
    kept = ", ".join("%s (%s)" % (copy["path"], human_bytes(copy["bytes"])) for copy in copies)
    return ("The restored copy needs about %s beside the data directory and only %s are free. %s"
            % (human_bytes(needed_bytes), human_bytes(free_bytes),
               ("Previous copies kept: %s; remove some, or free space otherwise." % kept) if kept
               else "Free space on that file system first."))


def human_bytes(count: int | None) -> str:
    if count is None:
        return "unknown size"
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return ("%d %s" % (size, unit)) if unit == "B" else ("%.1f %s" % (size, unit))
        size /= 1024
    return "%d B" % count  # not reached
