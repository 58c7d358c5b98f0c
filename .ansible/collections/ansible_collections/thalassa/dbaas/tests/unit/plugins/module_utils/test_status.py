# -*- coding: utf-8 -*-
from __future__ import annotations

from ansible_collections.thalassa.dbaas.plugins.module_utils.status import member_rows, render_table

PATRONI_CLUSTER = {
    "members": [
        {"name": "pg2", "role": "replica", "state": "streaming", "timeline": 3, "lag": 16, "tags": {"az": "az2"}, "host": "10.0.0.2"},
        {"name": "pg3", "role": "replica", "state": "streaming", "timeline": 3, "receive_lag": 0, "replay_lag": 42, "lag": 0, "tags": {"az": "az3"}},
        {"name": "pg1", "role": "leader", "state": "running", "timeline": 3, "tags": {"az": "az1"}},
        {"name": "pg4", "role": "replica", "state": "stopped", "tags": {}},
    ]
}


def test_rows_put_the_leader_first_then_members_by_name():
    assert [row["member"] for row in member_rows(PATRONI_CLUSTER)] == ["pg1", "pg2", "pg3", "pg4"]


def test_rows_carry_az_from_patroni_tags_and_timeline():
    rows = {row["member"]: row for row in member_rows(PATRONI_CLUSTER)}
    assert rows["pg2"]["az"] == "az2"
    assert rows["pg4"]["az"] == ""
    assert rows["pg1"]["timeline"] == 3


def test_lag_is_replay_lag_when_patroni_gives_it_and_none_for_the_leader():
    rows = {row["member"]: row for row in member_rows(PATRONI_CLUSTER)}
    assert rows["pg1"]["lag"] is None
    assert rows["pg2"]["lag"] == 16
    assert rows["pg3"]["lag"] == 42
    assert rows["pg4"]["lag"] == "unknown"


def test_table_aligns_columns_and_marks_missing_values():
    table = render_table("demo", member_rows(PATRONI_CLUSTER))
    assert table[0] == "Cluster demo"
    assert table[2].split("|")[1].strip() == "Member"
    assert len({len(line) for line in table[1:]}) == 1
    leader_line = table[4]
    assert [cell.strip() for cell in leader_line.strip("|").split("|")] == ["pg1", "az1", "leader", "running", "3", "-"]


def test_empty_cluster_renders_header_only():
    assert len(render_table("empty", member_rows({"members": []}))) == 5
