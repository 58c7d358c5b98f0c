from __future__ import annotations

import pytest

from ansible_collections.thalassa.dbaas.plugins.module_utils import wal_position as wal


@pytest.mark.parametrize("text, value", [("0/3000028", 0x3000028), ("1A/FF", (0x1A << 32) + 0xFF)])
def test_lsn_round_trip(text, value):
    assert wal.parse_lsn(text) == value
    assert wal.format_lsn(value) == text.upper()


@pytest.mark.parametrize("text", ["", None, "3000028", "0/", "0/XYZ", "123456789/0"])
def test_bad_lsn_is_refused(text):
    with pytest.raises(ValueError, match="is not an LSN"):
        wal.parse_lsn(text)


def test_segment_names_starts_and_ends():
    assert wal.segment_name(1, 0x3000028) == "000000010000000000000003"
    assert wal.segment_name(2, (1 << 32) + 0x5000000) == "000000020000000100000005"
    assert wal.segment_start_lsn("000000010000000000000003") == 0x3000000
    assert wal.segment_start_lsn("0000000200000001000000FF") == (1 << 32) + 255 * 16 * 1024 * 1024
    assert wal.segment_end_lsn("000000010000000000000003") == 0x4000000
    assert wal.segment_end_lsn("0000000100000001000000FF") == (2 << 32)


def test_a_partial_or_history_file_is_not_a_segment():
    for name in ("000000010000000000000003.partial", "00000002.history", ""):
        with pytest.raises(ValueError, match="is not a WAL segment name"):
            wal.segment_start_lsn(name)
