# -*- coding: utf-8 -*-
from __future__ import annotations

import json

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
