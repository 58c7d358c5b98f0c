from __future__ import annotations

import pytest

from ansible_collections.thalassa.dbaas.plugins.module_utils import restore_leftovers as leftovers

DATA = "/var/lib/postgresql/15/main"


def test_previous_copies_are_found_newest_first_and_nothing_else_is():
    names = [
        DATA, DATA + ".restoring", DATA + ".before-restore-20261201T101500",
        DATA + ".before-restore-20261202T090000", DATA + ".before-restore-20261130T235959",
        DATA + ".before-restore-junk", "/var/lib/postgresql/15/other.before-restore-20261202T090000",
    ]
    assert leftovers.previous_copies(DATA, names) == [
        DATA + ".before-restore-20261202T090000", DATA + ".before-restore-20261201T101500",
        DATA + ".before-restore-20261130T235959",
    ]


@pytest.mark.parametrize("keep, removed", [(0, ["c", "b", "a"]), (1, ["b", "a"]), (3, []), (5, [])])
def test_copies_beyond_keep_are_removed_oldest_kept_last(keep, removed):
    assert leftovers.copies_to_remove(["c", "b", "a"], keep) == removed


def test_a_negative_keep_is_refused():
    with pytest.raises(ValueError, match="0 or more"):
        leftovers.copies_to_remove(["a"], -1)


def test_space_needed_adds_a_tenth_and_the_wal_recovery_holds():
    assert leftovers.space_needed(1000, 64) == 1164
    assert leftovers.space_needed(None, 64) is None


def test_a_copy_that_does_not_fit_is_refused_naming_what_could_make_room():
    copies = [{"path": DATA + ".before-restore-20261202T090000", "bytes": 3 * 1024 ** 3}]
    problem = leftovers.space_problem(1024 ** 3, 2 * 1024 ** 3, copies)
    assert "needs about 2.0 GiB" in problem and "only 1.0 GiB are free" in problem
    assert DATA + ".before-restore-20261202T090000 (3.0 GiB)" in problem
    assert "Free space on that file system first" in leftovers.space_problem(10, 20, [])


def test_a_copy_that_fits_or_whose_size_is_unknown_is_no_problem():
    assert leftovers.space_problem(2048, 2048, []) is None
    assert leftovers.space_problem(0, None, []) is None


@pytest.mark.parametrize("count, text", [(None, "unknown size"), (512, "512 B"), (1536, "1.5 KiB"), (5 * 1024 ** 4, "5.0 TiB")])
def test_sizes_read_like_df_h(count, text):
    assert leftovers.human_bytes(count) == text
