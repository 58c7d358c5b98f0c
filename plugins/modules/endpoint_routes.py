#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: endpoint_routes
short_description: Read where this host's HAProxy sends a cluster's read-write and read-only sessions
version_added: 0.1.0
description:
  - Asks the HAProxy on the host it runs on (its stats socket, C(show stat)) which members of
    the cluster's backends are up, and returns the members each client port sends new
    sessions to - the read-write port to the C(<cluster>-leader) backend's, the read-only port
    to the C(<cluster>-replicas) backend's or, when none is up, to the leader backend's.
  - A HAProxy that does not answer is reported as C(reachable=false), not as a failure, so
    that C(status.yml) can say so beside the other members' answers.
  - The socket is the haproxy role's (C(/run/haproxy/admin.sock)); reading it needs root or
    the haproxy group.
author:
  - Thalassa DBaaS team (@thalassa-dbaas)
extends_documentation_fragment:
  - thalassa.dbaas.attributes.read_only
options:
  cluster:
    description: Name of the cluster; its backends are C(<cluster>-leader) and C(<cluster>-replicas).
    type: str
    required: true
  socket:
    description: Path of HAProxy's stats socket.
    type: path
    default: /run/haproxy/admin.sock
  timeout:
    description: Seconds to wait for HAProxy's answer.
    type: int
    default: 5
"""

EXAMPLES = r"""
- name: Read where this member's HAProxy routes cluster demo
  thalassa.dbaas.endpoint_routes:
    cluster: demo
  become: true
  register: routes
"""

RETURN = r"""
reachable:
  description: Whether HAProxy answered on its stats socket.
  returned: always
  type: bool
error:
  description: Why HAProxy could not be read.
  returned: when not reachable
  type: str
read_write:
  description: The members the read-write port sends new sessions to (the leader, when all is well).
  returned: when reachable
  type: list
  elements: str
  sample: [thalassa-lab-pg1]
read_only:
  description: The members the read-only port sends new sessions to.
  returned: when reachable
  type: list
  elements: str
  sample: [thalassa-lab-pg2, thalassa-lab-pg3]
servers:
  description: Every backend's servers and their check status, as HAProxy reports them.
  returned: when reachable
  type: dict
  sample: {demo-leader: {thalassa-lab-pg1: UP, thalassa-lab-pg2: DOWN}}
"""

import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.thalassa.dbaas.plugins.module_utils.endpoints import parse_stat, routes


def show_stat(path: str, timeout: int) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout)
        connection.connect(path)
        connection.sendall(b"show stat\n")
        chunks = []
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            cluster=dict(type="str", required=True),
            socket=dict(type="path", default="/run/haproxy/admin.sock"),
            timeout=dict(type="int", default=5),
        ),
        supports_check_mode=True,
    )
    try:
        servers = parse_stat(show_stat(module.params["socket"], module.params["timeout"]))
    except (OSError, ValueError) as error:
        module.exit_json(changed=False, reachable=False, error="%s: %s" % (module.params["socket"], error))
    module.exit_json(changed=False, reachable=True, servers=servers, **routes(servers, module.params["cluster"]))


if __name__ == "__main__":
    main()
