# -*- coding: utf-8 -*-
"""What --diff shows for the JSON records the modules write into a store."""
from __future__ import annotations

from ansible_collections.thalassa.dbaas.plugins.module_utils.backup_store import record_text, records_diff

KEY = "demo/thalassa-dbaas/demo/restore_points/before-upgrade.json"


def test_a_new_record_shows_as_added_whole_with_its_store_address():
    record = {"name": "before-upgrade", "lsn": "0/3000060", "cluster": "demo", "time": None}
    (diff,) = records_diff("backups", [(KEY, None, record)])
    assert diff["before_header"] == diff["after_header"] == "s3://backups/" + KEY
    assert diff["before"] == ""
    assert diff["after"] == ('{\n  "cluster": "demo",\n  "lsn": "0/3000060",\n  "name": "before-upgrade",\n'
                             '  "time": null\n}\n')


def test_a_record_left_as_it_was_shows_no_entry_and_a_changed_one_shows_both_sides():
    old = {"cluster": "demo", "system_identifier": "7"}
    superseded = dict(old, superseded_by="demo-r1")
    diffs = records_diff("backups", [("a.json", old, old), ("b.json", old, superseded)])
    assert [diff["after_header"] for diff in diffs] == ["s3://backups/b.json"]
    assert diffs[0]["before"] == record_text(old)
    assert '"superseded_by": "demo-r1"' in diffs[0]["after"] and "superseded_by" not in diffs[0]["before"]


def test_no_record_reads_as_nothing():
    assert record_text(None) == ""
