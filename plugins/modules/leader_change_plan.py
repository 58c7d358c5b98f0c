#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: leader_change_plan
short_description: Choose the member that takes over in a switchover or failover, or refuse with the reason
version_added: 0.1.0
description:
  - Decides, from Patroni's C(/cluster) answer, whom a planned switchover or a forced
    failover should promote, and refuses with a reason an operator can act on when no
    member qualifies. It changes nothing; Patroni performs the change.
  - "Switchover: without O(candidate), the healthiest streaming replica (least lag) in
    another AZ than the leader's; in a synchronous cluster only a synchronous standby
    qualifies, as Patroni requires, so no acknowledged commit is lost."
  - "Failover (no leader needed): without O(candidate), the running replica with least lag
    outside O(avoid_az) and the leader's AZ. A candidate whose lag is unknown or above
    O(accepted_loss) bytes is refused: promoting it would lose that much committed WAL."
  - "Failover with a live leader (its Patroni is in O(answering) and runs PostgreSQL) to a
    streaming candidate loses nothing, whatever the lag: Patroni stops the leader cleanly and
    releases the leader key only once a replica received its shutdown checkpoint."
author:
  - Thalassa DBaaS team (@thalassa-dbaas)
options:
  cluster:
    description: Patroni's C(GET /cluster) answer (members with role, state, lag and tags).
    type: dict
    required: true
  action:
    description: The change to plan.
    type: str
    choices: [switchover, failover]
    required: true
  candidate:
    description: Member to promote; empty chooses one.
    type: str
    default: ""
  synchronous:
    description: Whether the cluster runs Patroni's synchronous_mode (for a switchover).
    type: bool
    default: false
  max_lag_bytes:
    description: "Switchover: refuses a candidate lagging more than this many bytes (Patroni's maximum_lag_on_failover)."
    type: int
  accepted_loss:
    description: "Failover: bytes of WAL the operator accepts to lose, or C(unlimited)."
    type: str
    default: "0"
  avoid_az:
    description: "Failover: an AZ being evacuated; the default candidate is taken elsewhere."
    type: str
    default: ""
  answering:
    description: "Failover: the members whose Patroni REST API answered just now."
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    description: Reads only.
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Choose the switchover candidate
  thalassa.dbaas.leader_change_plan:
    cluster: "{{ patroni_cluster.json }}"
    action: switchover
    synchronous: true
  delegate_to: localhost
  register: plan

- name: Force a leader in az2, accepting up to 16 MiB of lost WAL
  thalassa.dbaas.leader_change_plan:
    cluster: "{{ patroni_cluster.json }}"
    action: failover
    avoid_az: az1
    accepted_loss: "16777216"
  delegate_to: localhost
"""

RETURN = r"""
plan:
  description: The change to ask Patroni for.
  returned: success
  type: dict
  contains:
    leader: {description: Current leader (null in a failover without one)., type: str}
    leader_az: {description: Its AZ., type: str}
    candidate: {description: Member to promote., type: str}
    candidate_az: {description: Its AZ., type: str}
    candidate_lag: {description: Its lag in bytes (null when unknown)., type: int}
    leader_hands_over: {description: "Failover: a live leader hands its WAL over before the candidate promotes.", type: bool}
    expected_loss: {description: "Failover: bytes of committed WAL the change loses (null when unknown).", type: int}
    why: {description: Why this candidate., type: str}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.thalassa.dbaas.plugins.module_utils import ha


def main():
    module = AnsibleModule(
        argument_spec=dict(
            cluster=dict(type="dict", required=True),
            action=dict(type="str", required=True, choices=["switchover", "failover"]),
            candidate=dict(type="str", default=""),
            synchronous=dict(type="bool", default=False),
            max_lag_bytes=dict(type="int"),
            accepted_loss=dict(type="str", default="0"),
            avoid_az=dict(type="str", default=""),
            answering=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        if params["action"] == "switchover":
            plan = ha.switchover_plan(params["cluster"], params["candidate"] or None, params["max_lag_bytes"],
                                      params["synchronous"])
        else:
            plan = ha.failover_plan(params["cluster"], params["candidate"] or None,
                                    ha.parse_accepted_loss(params["accepted_loss"]), params["avoid_az"] or None,
                                    params["answering"])
    except ha.Refusal as refusal:
        module.fail_json(msg="%s refused, nothing changed: %s." % (params["action"].title(), refusal))
    module.exit_json(changed=False, plan=plan)


if __name__ == "__main__":
    main()
