#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cluster_status
short_description: Read a Patroni cluster's members, roles, timelines and lag
version_added: 0.1.0
description:
  - Asks the Patroni REST API of the host it runs on for the state of the whole cluster
    and returns one row per member and a printable table.
  - A member whose Patroni does not answer is reported as C(reachable=false), not as a
    failure, so that status can still be shown from another member.
author:
  - Thalassa DBaaS team (@thalassa-dbaas)
extends_documentation_fragment:
  - thalassa.dbaas.attributes.read_only
options:
  cluster:
    description: Name of the cluster (Patroni scope) the host belongs to.
    type: str
    required: true
  api_url:
    description: Base URL of this member's Patroni REST API.
    type: str
    default: http://127.0.0.1:8008
  timeout:
    description: Seconds to wait for the REST API.
    type: int
    default: 5
"""

EXAMPLES = r"""
- name: Read the cluster state from this member's Patroni
  thalassa.dbaas.cluster_status:
    cluster: demo
  register: status
"""

RETURN = r"""
cluster:
  description: The cluster name given.
  returned: always
  type: str
reachable:
  description: Whether this member's Patroni REST API answered.
  returned: always
  type: bool
error:
  description: Why the REST API could not be read.
  returned: when not reachable
  type: str
members:
  description: One row per member (member, az, role, state, timeline, lag in bytes, host), leader first.
  returned: when reachable
  type: list
  elements: dict
table:
  description: The same rows as a fixed-width table, one line per element.
  returned: when reachable
  type: list
  elements: str
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url
from ansible_collections.thalassa.dbaas.plugins.module_utils.status import member_rows, render_table


def read_cluster(api_url, timeout):
    response = open_url(api_url.rstrip("/") + "/cluster", timeout=timeout)
    return json.loads(response.read())


def main():
    module = AnsibleModule(
        argument_spec=dict(
            cluster=dict(type="str", required=True),
            api_url=dict(type="str", default="http://127.0.0.1:8008"),
            timeout=dict(type="int", default=5),
        ),
        supports_check_mode=True,
    )
    cluster = module.params["cluster"]
    try:
        answer = read_cluster(module.params["api_url"], module.params["timeout"])
    except Exception as error:  # any failure to reach or parse means "not reachable"
        module.exit_json(changed=False, cluster=cluster, reachable=False, error=str(error))
    rows = member_rows(answer)
    module.exit_json(changed=False, cluster=cluster, reachable=True, members=rows, table=render_table(cluster, rows))


if __name__ == "__main__":
    main()
