# -*- coding: utf-8 -*-
from __future__ import annotations

import json

import pytest

from ansible_collections.thalassa.dbaas.plugins.module_utils import wal_archive
from ansible_collections.thalassa.dbaas.plugins.module_utils.wal_archive import (
    CLAIM,
    OWNED,
    REFUSE,
    guard_decision,
    owner_record,
    owner_record_key,
    wal_prefix,
)


def test_an_empty_archive_is_claimed():
    assert guard_decision(False, None, "demo", "71")[0] == CLAIM


def test_wal_nobody_claims_is_refused():
    decision, why = guard_decision(True, None, "demo", "71")
    assert decision == REFUSE and "no DBaaS cluster claims" in why


def test_the_owner_may_keep_archiving():
    assert guard_decision(True, {"cluster": "demo", "system_identifier": "71"}, "demo", 71)[0] == OWNED


def test_another_cluster_or_a_new_history_of_the_same_name_is_refused():
    decision, why = guard_decision(True, {"cluster": "demo", "system_identifier": "71"}, "demo", "99")
    assert decision == REFUSE
    assert "cluster demo (database system identifier 71)" in why and "(99)" in why
    assert guard_decision(False, {"cluster": "solo", "system_identifier": "5"}, "demo", "71")[0] == REFUSE


def test_keys_sit_beside_barman_tree_not_inside_it():
    assert owner_record_key("demo/", "demo") == "demo/thalassa-dbaas/demo/owner.json"
    assert wal_prefix("demo", "demo") == "demo/demo/wals/"
    assert owner_record_key("", "solo") == "thalassa-dbaas/solo/owner.json"
    assert json.loads(owner_record("demo", 71)) == {"cluster": "demo", "system_identifier": "71"}


def test_a_superseded_archive_is_refused_naming_the_new_server():
    owner = {"cluster": "demo", "system_identifier": "42", "superseded_by": "demo-20261125T190000"}
    decision, why = wal_archive.guard_decision(True, owner, "demo", "42")
    assert decision == wal_archive.REFUSE
    assert "left behind by a restore: cluster demo now archives into server demo-20261125T190000" in why


def test_current_server_follows_restores_to_the_newest_name():
    records = {
        "demo": {"superseded_by": "demo-r1"},
        "demo-r1": {"superseded_by": "demo-r2"},
        "demo-r2": {"cluster": "demo"},
    }
    assert wal_archive.current_server("demo", records.get) == ("demo-r2", ["demo", "demo-r1", "demo-r2"])
    assert wal_archive.current_server("solo", records.get) == ("solo", ["solo"])


def test_current_server_refuses_a_loop():
    records = {"a": {"superseded_by": "b"}, "b": {"superseded_by": "a"}}
    with pytest.raises(ValueError, match="loop: a -> b -> a"):
        wal_archive.current_server("a", records.get)


def test_handover_marks_the_old_server_and_describes_the_new_one():
    current = {"cluster": "demo", "system_identifier": "42"}
    old, new = wal_archive.handover(current, "demo", "42", "demo-r1", {"server": "demo", "backup_id": "b1"})
    assert old == {"cluster": "demo", "system_identifier": "42", "superseded_by": "demo-r1"}
    assert new == {"cluster": "demo", "system_identifier": "42", "restored_from": {"server": "demo", "backup_id": "b1"}}
    assert current == {"cluster": "demo", "system_identifier": "42"}
    assert wal_archive.current_server("demo", {"demo": old, "demo-r1": new}.get)[0] == "demo-r1"
