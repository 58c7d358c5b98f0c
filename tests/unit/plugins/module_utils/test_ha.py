from __future__ import annotations

import pytest

from ansible_collections.thalassa.dbaas.plugins.module_utils import ha
from ansible_collections.thalassa.dbaas.plugins.module_utils.ha import Refusal


def member(name, role, az, state=None, lag=0, **tags):
    entry = {"name": name, "role": role, "state": state or ("running" if role == "leader" else "streaming"),
             "tags": dict(az=az, **tags)}
    if role != "leader" and lag is not None:
        entry["lag"] = lag
    return entry


def cluster(*members):
    return {"scope": "demo", "members": list(members)}


THREE_AZ = cluster(
    member("pg1", "leader", "az1"),
    member("pg2", "replica", "az2", lag=4096),
    member("pg3", "replica", "az3", lag=0),
)


def test_switchover_default_is_the_least_lagging_replica_in_another_az():
    plan = ha.switchover_plan(THREE_AZ)
    assert (plan["leader"], plan["candidate"], plan["candidate_az"]) == ("pg1", "pg3", "az3")
    assert "healthiest" in plan["why"]


def test_switchover_never_defaults_to_the_leaders_az():
    same_az = cluster(member("pg1", "leader", "az1"), member("pg2", "replica", "az1", lag=0),
                      member("pg3", "replica", "az2", lag=900))
    assert ha.switchover_plan(same_az)["candidate"] == "pg3"


def test_switchover_refuses_when_only_the_leaders_az_has_a_healthy_replica():
    same_az = cluster(member("pg1", "leader", "az1"), member("pg2", "replica", "az1"),
                      member("pg3", "replica", "az2", state="stopped", lag=None))
    with pytest.raises(Refusal, match="no healthy replica in another AZ.*pg3 is not streaming.*pg2 is in the leader's AZ az1"):
        ha.switchover_plan(same_az)


def test_synchronous_cluster_switches_over_only_to_a_synchronous_standby():
    synchronous = cluster(member("pg1", "leader", "az1"), member("pg2", "sync_standby", "az2", lag=10),
                          member("pg3", "replica", "az3", lag=0))
    assert ha.switchover_plan(synchronous, synchronous=True)["candidate"] == "pg2"
    with pytest.raises(Refusal, match="pg3 is not a synchronous standby"):
        ha.switchover_plan(synchronous, candidate="pg3", synchronous=True)


def test_named_candidate_that_is_down_is_refused_with_the_reason():
    down = cluster(member("pg1", "leader", "az1"), member("pg2", "replica", "az2", state="stopped", lag=None),
                   member("pg3", "replica", "az3"))
    with pytest.raises(Refusal, match="pg2 is not streaming \\(state stopped\\)"):
        ha.switchover_plan(down, candidate="pg2")


def test_named_candidate_must_be_a_member_and_not_the_leader():
    with pytest.raises(Refusal, match="pg9 is not among the members Patroni reports for cluster demo \\(pg1, pg2, pg3\\)"):
        ha.switchover_plan(THREE_AZ, candidate="pg9")
    with pytest.raises(Refusal, match="pg1 leads already"):
        ha.switchover_plan(THREE_AZ, candidate="pg1")


def test_switchover_refuses_a_lagging_candidate_and_a_nofailover_one():
    with pytest.raises(Refusal, match="pg2 lags 4096 bytes behind, more than 1024"):
        ha.switchover_plan(THREE_AZ, candidate="pg2", max_lag_bytes=1024)
    tagged = cluster(member("pg1", "leader", "az1"), member("pg2", "replica", "az2", nofailover=True))
    with pytest.raises(Refusal, match="pg2 is tagged nofailover"):
        ha.switchover_plan(tagged)


def test_switchover_without_a_leader_points_to_failover():
    leaderless = cluster(member("pg2", "replica", "az2", state="running", lag=None))
    with pytest.raises(Refusal, match="has no leader.*failover.yml"):
        ha.switchover_plan(leaderless)


def test_failover_without_a_leader_takes_a_running_replica_with_least_lag():
    leaderless = cluster(member("pg2", "replica", "az2", state="running", lag=300),
                         member("pg3", "replica", "az3", state="running", lag=0))
    plan = ha.failover_plan(leaderless)
    assert plan["candidate"] == "pg3" and plan["leader"] is None


def test_failover_refuses_loss_unless_accepted_explicitly():
    behind = cluster(member("pg2", "replica", "az2", state="running", lag=5000))
    with pytest.raises(Refusal, match="pg2 lags 5000 bytes behind.*failover_accepted_loss=5000"):
        ha.failover_plan(behind, accepted_loss=0)
    assert ha.failover_plan(behind, accepted_loss=5000)["candidate"] == "pg2"
    assert ha.failover_plan(behind, accepted_loss=None)["candidate"] == "pg2"


def test_failover_refuses_an_unknown_lag_unless_any_loss_is_accepted():
    unknown = cluster(member("pg2", "replica", "az2", state="running", lag=None))
    with pytest.raises(Refusal, match="unknown.*failover_accepted_loss=unlimited"):
        ha.failover_plan(unknown)
    assert ha.failover_plan(unknown, accepted_loss=None)["candidate"] == "pg2"


def test_failover_evacuating_an_az_avoids_it_and_the_leaders():
    assert ha.failover_plan(THREE_AZ, avoid_az="az3", accepted_loss=None)["candidate"] == "pg2"
    two = cluster(member("pg1", "leader", "az1"), member("pg2", "replica", "az2"))
    with pytest.raises(Refusal, match="no running replica outside AZ az2 and AZ az1"):
        ha.failover_plan(two, avoid_az="az2")


def test_failover_named_candidate_that_is_stopped_is_refused():
    down = cluster(member("pg1", "leader", "az1"), member("pg2", "replica", "az2", state="stopped", lag=None))
    with pytest.raises(Refusal, match="pg2 is not running \\(state stopped\\)"):
        ha.failover_plan(down, candidate="pg2")


@pytest.mark.parametrize("given, expected", [("0", 0), (1048576, 1048576), ("unlimited", None), ("Unlimited", None)])
def test_accepted_loss_parsing(given, expected):
    assert ha.parse_accepted_loss(given) == expected


@pytest.mark.parametrize("given", ["-1", "lots", "1.5"])
def test_accepted_loss_that_is_not_bytes_is_refused(given):
    with pytest.raises(Refusal, match="failover_accepted_loss"):
        ha.parse_accepted_loss(given)


def test_failover_from_a_live_leader_loses_nothing_whatever_the_lag():
    plan = ha.failover_plan(THREE_AZ, candidate="pg2", answering=["pg1", "pg2", "pg3"])
    assert (plan["candidate"], plan["candidate_lag"], plan["leader_hands_over"], plan["expected_loss"]) == ("pg2", 4096, True, 0)


def test_failover_from_a_leader_whose_patroni_is_silent_counts_the_lag_as_lost():
    with pytest.raises(Refusal, match="pg2 lags 4096 bytes.*failover_accepted_loss=4096"):
        ha.failover_plan(THREE_AZ, candidate="pg2", answering=["pg2", "pg3"])
    plan = ha.failover_plan(THREE_AZ, candidate="pg2", accepted_loss=4096, answering=["pg2", "pg3"])
    assert (plan["leader_hands_over"], plan["expected_loss"]) == (False, 4096)


def test_failover_to_a_replica_that_does_not_stream_counts_its_lag_even_with_a_live_leader():
    detached = cluster(member("pg1", "leader", "az1"), member("pg2", "replica", "az2", state="running", lag=700))
    with pytest.raises(Refusal, match="pg2 lags 700 bytes"):
        ha.failover_plan(detached, candidate="pg2", answering=["pg1", "pg2"])


def test_the_leader_sees_a_starting_member_waiting_for_wal():
    rejoining = cluster(member("pg1", "leader", "az1"), member("pg2", "replica", "az2", state="starting", lag=None),
                        member("pg3", "replica", "az3", state="streaming"))
    assert ha.members_waiting_for_wal(rejoining, "pg1") == ["pg2"]


def test_only_a_running_leader_writes_for_a_waiting_member():
    rejoining = cluster(member("pg1", "leader", "az1"), member("pg2", "replica", "az2", state="starting", lag=None))
    assert ha.members_waiting_for_wal(rejoining, "pg2") == []
    assert ha.members_waiting_for_wal(rejoining, "pg3") == []
    stopping = cluster(member("pg1", "leader", "az1", state="stopping"),
                       member("pg2", "replica", "az2", state="starting", lag=None))
    assert ha.members_waiting_for_wal(stopping, "pg1") == []
    assert ha.members_waiting_for_wal(cluster(member("pg2", "replica", "az2", state="starting")), "pg2") == []
    standby_cluster = cluster(member("pg1", "standby_leader", "az1", state="running"),
                              member("pg2", "replica", "az2", state="starting", lag=None))
    assert ha.members_waiting_for_wal(standby_cluster, "pg1") == []


def test_a_healthy_cluster_has_no_member_waiting_for_wal():
    assert ha.members_waiting_for_wal(THREE_AZ, "pg1") == []


def etcd_status(member_id, leader):
    """etcd's JSON gateway writes uint64 fields as strings."""
    return {"header": {"member_id": member_id}, "leader": leader, "version": "3.4.23"}


def etcd_statuses(leader, answering=("11", "22", "33")):
    hosts = {"11": "10.0.0.1", "22": "10.0.0.2", "33": "10.0.0.3"}
    return {"https://%s:2379" % hosts[member]: etcd_status(member, leader) for member in answering}


def test_etcd_leadership_leaves_the_patroni_leaders_host_for_a_member_that_answered():
    assert ha.etcd_leadership_target(etcd_statuses("11"), "10.0.0.1") == ("https://10.0.0.1:2379", "22")
    assert ha.etcd_leadership_target(etcd_statuses("11", answering=("11", "33")), "10.0.0.1") == (
        "https://10.0.0.1:2379", "33")


def test_etcd_leadership_elsewhere_stays_where_it_is():
    assert ha.etcd_leadership_target(etcd_statuses("22"), "10.0.0.1") is None


def test_etcd_leadership_stays_while_members_disagree_or_none_else_answers():
    split = etcd_statuses("11")
    split["https://10.0.0.3:2379"] = etcd_status("33", "33")
    assert ha.etcd_leadership_target(split, "10.0.0.1") is None
    assert ha.etcd_leadership_target(etcd_statuses("11", answering=("11",)), "10.0.0.1") is None
    assert ha.etcd_leadership_target({}, "10.0.0.1") is None


def test_only_the_running_leader_leads():
    assert ha.leads(THREE_AZ, "pg1")
    assert not ha.leads(THREE_AZ, "pg2")
    assert not ha.leads(cluster(member("pg1", "leader", "az1", state="stopped")), "pg1")
    assert not ha.leads(cluster(member("pg1", "standby_leader", "az1")), "pg1")
