# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Positions in the WAL: LSNs as PostgreSQL writes them (0/3000028) and the names of the
16 MB segment files that hold them (timeline, then the segment number in two halves).

Pure logic, no imports from the collection: the restore drill's script loads this file
from beside it on the drill host, and the collection's restore planning imports it.
"""

from __future__ import annotations

import re

SEGMENT_BYTES = 16 * 1024 * 1024
SEGMENTS_PER_XLOGID = 0x100000000 // SEGMENT_BYTES
LSN = re.compile(r"^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$")
SEGMENT = re.compile(r"^[0-9A-F]{24}$")


def parse_lsn(text: str) -> int:
    """'0/3000028' -> 50331688; ValueError for anything else."""
    if not LSN.match(text or ""):
        raise ValueError("%r is not an LSN" % text)
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def format_lsn(value: int) -> str:
    return "%X/%X" % (value >> 32, value & 0xFFFFFFFF)


def segment_name(timeline: int, lsn: int) -> str:
    """The WAL file holding lsn on timeline."""
    segment = lsn // SEGMENT_BYTES
    return "%08X%08X%08X" % (timeline, segment // SEGMENTS_PER_XLOGID, segment % SEGMENTS_PER_XLOGID)


def _segment_number(name: str) -> int:
    if not SEGMENT.match(name or ""):
        raise ValueError("%r is not a WAL segment name" % name)
    return int(name[8:16], 16) * SEGMENTS_PER_XLOGID + int(name[16:24], 16)


def segment_start_lsn(name: str) -> int:
    """First LSN in the WAL file called name."""
    return _segment_number(name) * SEGMENT_BYTES


def segment_end_lsn(name: str) -> int:
    """First LSN after the WAL file called name."""
    return (_segment_number(name) + 1) * SEGMENT_BYTES
