# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.thalassa.dbaas.plugins.module_utils.placement import (
    PlacementError,
    coverage_problems,
    etcd_members,
    plan_clusters,
)

AZS = ["az1", "az2", "az3"]


def host(cluster, *groups):
    return {"cluster": cluster, "groups": [cluster, *groups]}


def problems_of(hosts, azs=None):
    with pytest.raises(PlacementError) as caught:
        plan_clusters(hosts, AZS if azs is None else azs)
    return caught.value.problems


def test_three_members_in_three_azs_is_accepted_with_one_etcd_member_per_az():
    plan = plan_clusters({"pg1": host("demo", "az1"), "pg2": host("demo", "az2"), "pg3": host("demo", "az3")}, AZS)
    assert plan["demo"]["members"] == [
        {"host": "pg1", "az": "az1"},
        {"host": "pg2", "az": "az2"},
        {"host": "pg3", "az": "az3"},
    ]
    assert plan["demo"]["etcd_members"] == ["pg1", "pg2", "pg3"]
    assert plan["demo"]["availability_zones"] == AZS


def test_single_node_cluster_is_valid():
    plan = plan_clusters({"solo1": host("solo", "az2")}, AZS)
    assert plan["solo"]["members"] == [{"host": "solo1", "az": "az2"}]
    assert plan["solo"]["etcd_members"] == ["solo1"]


def test_two_members_in_one_az_while_another_is_empty_is_refused_naming_hosts_and_azs():
    problems = problems_of({"pg1": host("demo", "az1"), "pg2": host("demo", "az1"), "pg3": host("demo", "az2")})
    assert len(problems) == 1
    assert "cluster demo" in problems[0]
    assert "az1 holds pg1, pg2" in problems[0]
    assert "az3 hold(s) no member" in problems[0]
    assert "must cover 3" in problems[0]


def test_two_members_may_use_any_two_of_three_azs():
    plan = plan_clusters({"pg1": host("demo", "az1"), "pg3": host("demo", "az3")}, AZS)
    assert plan["demo"]["availability_zones"] == ["az1", "az3"]


def test_more_members_than_azs_must_still_cover_every_az():
    ok = {f"pg{i}": host("big", az) for i, az in enumerate(["az1", "az2", "az3", "az1"], start=1)}
    assert len(plan_clusters(ok, AZS)["big"]["members"]) == 4
    crowded = {f"pg{i}": host("big", az) for i, az in enumerate(["az1", "az2", "az1", "az2"], start=1)}
    assert "az3 hold(s) no member" in problems_of(crowded)[0]


def test_etcd_members_take_the_first_host_of_each_az_in_az_order():
    assert etcd_members({"b": "az2", "a": "az2", "c": "az1", "d": "az3"}, AZS) == ["c", "a", "d"]


def test_host_without_az_is_refused_with_the_az_groups_named():
    problems = problems_of({"pg1": host("demo"), "pg2": host("demo", "az2")})
    assert problems == ["host pg1 has no availability zone: add it to exactly one of the AZ groups az1, az2, az3"]


def test_host_in_two_azs_is_refused():
    problems = problems_of({"pg1": host("demo", "az1", "az2")})
    assert problems == ["host pg1 is in several availability zones (az1, az2): keep it in exactly one"]


def test_host_without_cluster_name_is_refused():
    problems = problems_of({"pg1": {"cluster": None, "groups": ["az1"]}})
    assert "host pg1 belongs to no cluster" in problems[0]


def test_invalid_cluster_name_is_refused():
    problems = problems_of({"pg1": host("Demo Cluster", "az1")})
    assert "cluster name 'Demo Cluster' of host pg1 is not valid" in problems[0]


def test_every_problem_is_reported_at_once():
    problems = problems_of(
        {"pg1": host("demo"), "pg2": host("other", "az1"), "pg3": host("other", "az1")}
    )
    assert len(problems) == 2
    assert problems[0].startswith("host pg1 has no availability zone")
    assert problems[1].startswith("cluster other:")


def test_several_clusters_are_planned_independently():
    plan = plan_clusters(
        {
            "a1": host("alpha", "az1"), "a2": host("alpha", "az2"), "a3": host("alpha", "az3"),
            "b1": host("beta", "az3"),
        },
        AZS,
    )
    assert sorted(plan) == ["alpha", "beta"]
    assert plan["beta"]["etcd_members"] == ["b1"]


def test_empty_az_list_is_refused():
    assert "dbaas_availability_zones is empty" in problems_of({"pg1": host("demo", "az1")}, [])[0]


def test_duplicate_az_names_are_refused():
    assert "names an AZ twice" in problems_of({"pg1": host("demo", "az1")}, ["az1", "az1"])[0]


def test_coverage_is_satisfied_when_distinct_azs_reach_the_member_count():
    assert coverage_problems("demo", {"pg1": "az1", "pg2": "az2"}, AZS) == []
