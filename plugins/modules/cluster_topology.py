#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cluster_topology
short_description: Check that DBaaS clusters are spread over availability zones
version_added: 0.1.0
description:
  - Reads which cluster and which availability-zone group each host belongs to and
    refuses a placement where a cluster covers fewer distinct availability zones than it
    could, a host with no availability zone, or a host in several.
  - Describes every cluster for the roles, including the etcd members (one per zone).
  - Changes nothing; meant to run once on the controller before any host is touched.
author:
  - Thalassa DBaaS team (@thalassa-dbaas)
extends_documentation_fragment:
  - thalassa.dbaas.attributes.read_only
options:
  hosts:
    description:
      - Every host of every cluster, mapped to its cluster name and inventory groups.
      - Each value is a dictionary with the keys C(cluster) (the host's
        C(dbaas_cluster_name)) and C(groups) (the host's C(group_names)).
    type: dict
    required: true
  availability_zones:
    description:
      - The names of the inventory groups that are availability zones.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Check placement of every cluster before anything changes
  thalassa.dbaas.cluster_topology:
    hosts:
      pg1: {cluster: demo, groups: [demo, az1]}
      pg2: {cluster: demo, groups: [demo, az2]}
      pg3: {cluster: demo, groups: [demo, az3]}
    availability_zones: [az1, az2, az3]
  delegate_to: localhost
  run_once: true
  register: topology
"""

RETURN = r"""
clusters:
  description: Every cluster, by name.
  returned: success
  type: dict
  sample:
    demo:
      name: demo
      members:
        - {host: pg1, az: az1}
        - {host: pg2, az: az2}
        - {host: pg3, az: az3}
      availability_zones: [az1, az2, az3]
      etcd_members: [pg1, pg2, pg3]
problems:
  description: Every placement problem found, one sentence each.
  returned: failure
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.thalassa.dbaas.plugins.module_utils.placement import (
    PlacementError,
    plan_clusters,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hosts=dict(type="dict", required=True),
            availability_zones=dict(type="list", elements="str", required=True),
        ),
        supports_check_mode=True,
    )
    try:
        clusters = plan_clusters(module.params["hosts"], module.params["availability_zones"])
    except PlacementError as error:
        module.fail_json(
            msg="Placement refused before any change: " + " | ".join(error.problems),
            problems=error.problems,
        )
    module.exit_json(changed=False, clusters=clusters)


if __name__ == "__main__":
    main()
