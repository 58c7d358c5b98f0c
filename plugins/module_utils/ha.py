# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Choosing the member that takes over in a planned switchover or a forced failover, from
Patroni's /cluster answer. Pure logic: Patroni performs the change; this decides whether
to ask it and whom, and says why (or why not) in words an operator can act on."""

from __future__ import annotations

from urllib.parse import urlsplit

REPLICA_ROLES = ("replica", "sync_standby", "quorum_standby")
SYNCHRONOUS_ROLES = ("sync_standby", "quorum_standby")


class Refusal(Exception):
    """The change is refused; the message says why and what to do."""


def _tags(member: dict) -> dict:
    return member.get("tags") or {}


def _az(member: dict) -> str:
    return str(_tags(member).get("az", ""))


def _lag(member: dict):
    """Bytes the member lags behind the leader (receive lag where Patroni gives it: that is
    what a promotion keeps), or None when unknown."""
    for key in ("lag", "receive_lag", "replay_lag"):
        value = member.get(key)
        if isinstance(value, int):
            return value
    return None


def leader_of(cluster: dict):
    """The member that leads, or None."""
    for member in cluster.get("members", []):
        if member.get("role") in ("leader", "standby_leader"):
            return member
    return None


def _never_leads(member: dict):
    """Why this member may not lead at all (not a replica, tagged nofailover), or None."""
    name = member.get("name")
    if member.get("role") not in REPLICA_ROLES:
        return "%s is not a replica (role %s)" % (name, member.get("role"))
    if str(_tags(member).get("nofailover", "")).lower() == "true":
        return "%s is tagged nofailover" % name
    return None


def unfit_reason(member: dict, max_lag_bytes):
    """Why this member cannot take over now, or None when it can."""
    name = member.get("name")
    never = _never_leads(member)
    if never:
        return never
    if member.get("state") != "streaming":
        return "%s is not streaming (state %s)" % (name, member.get("state"))
    lag = _lag(member)
    if lag is None:
        return "%s has an unknown lag" % name
    if max_lag_bytes is not None and lag > max_lag_bytes:
        return "%s lags %d bytes behind, more than %d" % (name, lag, max_lag_bytes)
    return None


def _describe(member: dict) -> str:
    return "%s (AZ %s, %s, lag %s bytes)" % (member.get("name"), _az(member) or "?", member.get("role"), _lag(member))


def _member(cluster: dict, name: str) -> dict:
    for member in cluster.get("members", []):
        if member.get("name") == name:
            return member
    known = ", ".join(sorted(str(m.get("name")) for m in cluster.get("members", [])))
    raise Refusal("%s is not among the members Patroni reports for cluster %s (%s): its Patroni is down, or it is "
                  "not a member" % (name, cluster.get("scope", "?"), known or "none"))


def _named_candidate(cluster: dict, name: str, leader, unfit) -> dict:
    """The member asked for, or Refusal when it leads already or unfit(member) says why not."""
    chosen = _member(cluster, name)
    if chosen is leader:
        raise Refusal("%s leads already" % name)
    reason = unfit(chosen)
    if reason:
        raise Refusal("the candidate cannot take over: %s" % reason)
    return chosen


def _ranked(candidates: list, synchronous: bool) -> list:
    """Healthiest first: a synchronous standby when the cluster is synchronous, then least
    lag, then name (a stable choice)."""
    return sorted(candidates, key=lambda m: (synchronous and m.get("role") not in SYNCHRONOUS_ROLES, _lag(m), m.get("name")))


def switchover_plan(cluster: dict, candidate: str | None = None, max_lag_bytes: int | None = None,
                    synchronous: bool = False) -> dict:
    """Leader and candidate for a planned switchover.

    Without a candidate: the healthiest streaming replica in another AZ than the leader's.
    With synchronous mode on, Patroni switches over only to a synchronous standby (it keeps
    every acknowledged commit), so only those qualify.
    """
    leader = leader_of(cluster)
    if leader is None:
        raise Refusal("cluster %s has no leader: a switchover needs one; use failover.yml to force a leader"
                      % cluster.get("scope", "?"))

    def fit(member):
        reason = unfit_reason(member, max_lag_bytes)
        if reason is None and synchronous and member.get("role") not in SYNCHRONOUS_ROLES:
            reason = "%s is not a synchronous standby, and the cluster is synchronous" % member.get("name")
        return reason

    if candidate:
        chosen = _named_candidate(cluster, candidate, leader, fit)
        why = "the candidate asked for"
    else:
        others = [m for m in cluster.get("members", []) if m is not leader]
        reasons = [fit(m) for m in others]
        fit_members = [m for m, reason in zip(others, reasons) if reason is None]
        elsewhere = [m for m in fit_members if _az(m) != _az(leader)]
        if not elsewhere:
            details = [r for r in reasons if r] + ["%s is in the leader's AZ %s" % (m.get("name"), _az(leader))
                                                   for m in fit_members]
            raise Refusal("no healthy replica in another AZ than the leader's (%s): %s"
                          % (_az(leader) or "?", "; ".join(details) or "the cluster has no replica"))
        chosen = _ranked(elsewhere, synchronous)[0]
        why = "the healthiest streaming replica in another AZ than the leader's"
    return {
        "leader": leader.get("name"),
        "leader_az": _az(leader),
        "candidate": chosen.get("name"),
        "candidate_az": _az(chosen),
        "candidate_lag": _lag(chosen),
        "why": "%s: %s" % (why, _describe(chosen)),
    }


def parse_accepted_loss(value) -> int | None:
    """failover_accepted_loss: bytes as an int (0 = none), or 'unlimited' (None)."""
    text = str(value).strip().lower()
    if text == "unlimited":
        return None
    try:
        number = int(text)
    except ValueError:
        raise Refusal("failover_accepted_loss must be a number of bytes (0 accepts no loss) or 'unlimited', not %r" % value)
    if number < 0:
        raise Refusal("failover_accepted_loss must not be negative")
    return number


def _failover_unfit(member: dict):
    """Why this member cannot be forced to lead, or None. Its lag is judged separately:
    without a leader a replica is running, not streaming."""
    never = _never_leads(member)
    if never:
        return never
    if member.get("state") not in ("streaming", "running"):
        return "%s is not running (state %s)" % (member.get("name"), member.get("state"))
    return None


def _hands_over(leader, chosen: dict, answering) -> bool:
    """Whether the leader hands its WAL over before the candidate promotes: its Patroni
    answered just now and runs PostgreSQL, and the candidate streams from it. Patroni then
    demotes it gracefully (fast shutdown with checkpoint) and releases the leader key only
    once a replica received the shutdown checkpoint, so the candidate's lag is not lost."""
    return (leader is not None and leader.get("name") in answering and leader.get("state") == "running"
            and chosen.get("state") == "streaming")


def failover_plan(cluster: dict, candidate: str | None = None, accepted_loss: int | None = 0,
                  avoid_az: str | None = None, answering=()) -> dict:
    """Candidate for a forced failover, which may run without a leader.

    Default candidate: the streaming replica with least lag outside avoid_az (an AZ being
    evacuated) and outside the current leader's AZ when one leads. answering: the members
    whose Patroni answered just now. Unless a live leader hands over (see _hands_over), a
    candidate whose lag is unknown or above accepted_loss bytes is refused: promoting it
    loses those bytes of committed WAL. accepted_loss None accepts any loss.
    """
    leader = leader_of(cluster)
    leader_az = _az(leader) if leader else None
    if candidate:
        chosen = _named_candidate(cluster, candidate, leader, _failover_unfit)
        why = "the candidate asked for"
    else:
        avoided = " and ".join("AZ %s" % az for az in (avoid_az, leader_az) if az)
        away = [m for m in cluster.get("members", [])
                if m is not leader and _failover_unfit(m) is None and _az(m) not in (avoid_az, leader_az)]
        if not away:
            raise Refusal("no running replica%s: %s" % (
                " outside " + avoided if avoided else "", "; ".join("%s %s" % (_describe(m), m.get("state")) for m in cluster.get("members", []))))
        chosen = sorted(away, key=lambda m: (_lag(m) is None, _lag(m) or 0, m.get("name")))[0]
        why = "the running replica with least lag" + (" outside " + avoided if avoided else "")
    lag = _lag(chosen)
    handover = _hands_over(leader, chosen, answering)
    loss = 0 if handover else lag
    if accepted_loss is not None and not handover:
        if lag is None:
            raise Refusal("%s: its lag behind the last leader is unknown, so promoting it may lose committed data; "
                          "to accept that, run again with -e failover_accepted_loss=unlimited" % _describe(chosen))
        if lag > accepted_loss:
            raise Refusal("%s lags %d bytes behind the last leader: promoting it loses them; to accept that, run again "
                          "with -e failover_accepted_loss=%d (or choose another candidate)" % (chosen.get("name"), lag, lag))
    return {
        "leader": leader.get("name") if leader else None,
        "leader_az": leader_az,
        "candidate": chosen.get("name"),
        "candidate_az": _az(chosen),
        "candidate_lag": lag,
        "leader_hands_over": handover,
        "expected_loss": loss,
        "why": "%s: %s" % (why, _describe(chosen)),
    }


def leads(cluster: dict, me: str) -> bool:
    """Whether `me` is the running leader of a primary cluster (a standby cluster's leader
    cannot write), in Patroni's /cluster answer."""
    leader = leader_of(cluster)
    return leader is not None and leader.get("name") == me and leader.get("role") == "leader" and leader.get("state") == "running"


def members_waiting_for_wal(cluster: dict, me: str) -> list:
    """Members that wait for the leader to write, when `me` leads: a member Patroni reports
    as "starting" may be one that pg_rewind left waiting for WAL up to where the leader was
    inserting, which an idle leader never writes. Empty when `me` does not lead or is not
    running, for only the leader can write (a standby cluster's leader cannot)."""
    if not leads(cluster, me):
        return []
    return sorted(member.get("name") for member in cluster.get("members", [])
                  if member.get("name") != me and member.get("state") == "starting")


def etcd_leadership_target(statuses: dict, my_host: str):
    """The etcd member to hand etcd's raft leadership to, or None to leave it where it is.

    statuses: client URL -> that etcd member's answer to /v3/maintenance/status (a member
    that did not answer is left out). my_host: the address this member's host is known by.
    When etcd's leader runs on this host and this host's Patroni leads, the death of the
    host would end both leaders at once: etcd elects a new leader first, and a new etcd
    leader renews every lease in full, Patroni's leader lock with them, which delays the
    failover by seconds. So the leadership goes to a member that answered, on another host.
    Returns (leader's client URL, target member id), or None.
    """
    by_member = {str(status["header"]["member_id"]): url for url, status in statuses.items()}
    leaders = {str(status.get("leader")) for status in statuses.values()}
    if len(leaders) != 1:
        return None  # members disagree (an election is under way): ask again later
    leader_id = leaders.pop()
    leader_url = by_member.get(leader_id)
    if leader_url is None or _url_host(leader_url) != my_host:
        return None
    others = sorted(member for member, url in by_member.items() if member != leader_id and _url_host(url) != my_host)
    return (leader_url, others[0]) if others else None


def _url_host(url: str) -> str:
    """'https://10.0.0.5:2379' -> '10.0.0.5'."""
    return urlsplit(url).hostname or ""
