#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: wal_archive_successor
short_description: Move a restored cluster's WAL archive to a new server name
version_added: 0.1.0
description:
  - A cluster restored to a point in time starts a new history; archiving it into the server
    it was restored from would mix two histories with the same system identifier, which no
    later restore could tell apart.
  - This module writes the owner record of a new server name for the cluster and marks the
    record of the server the cluster archived into until now as superseded by it.
    M(thalassa.dbaas.wal_archive_guard) follows that mark, so every later run archives into the
    new server; the old one stays readable for restores.
author:
  - Thalassa DBaaS team (@thalassa-dbaas)
extends_documentation_fragment:
  - thalassa.dbaas.s3
  - thalassa.dbaas.s3.backups
options:
  server_name:
    description: The server name the cluster started with; the current one is found from it.
    type: str
    required: true
  successor:
    description: The new server name.
    type: str
    required: true
  cluster:
    description: Cluster name.
    type: str
    required: true
  system_identifier:
    description: The cluster's database system identifier.
    type: str
    required: true
  restored_from:
    description: What the restore used (server, backup, target), kept in the new record.
    type: dict
    default: {}
attributes:
  check_mode:
    description: Reports what it would write; writes nothing.
    support: full
  diff_mode:
    description: Shows both records it writes, the successor's and the old server's marked superseded (or would, in check mode).
    support: full
"""

EXAMPLES = r"""
- name: Archive the restored cluster under a new server name
  thalassa.dbaas.wal_archive_successor:
    bucket: demo-backups
    prefix: demo
    server_name: demo
    successor: demo-20261125T190102
    cluster: demo
    system_identifier: "7712137272768100952"
    restored_from: {server: demo, backup_id: "20261125T180046"}
    endpoint_url: https://s3.eu-central-1.example.com
  delegate_to: localhost
"""

RETURN = r"""
superseded:
  description: The server name that will receive no more WAL.
  returned: success
  type: str
"""


from ansible_collections.thalassa.dbaas.plugins.module_utils import wal_archive
from ansible_collections.thalassa.dbaas.plugins.module_utils.backup_store import read_json, records_diff, write_json
from ansible_collections.thalassa.dbaas.plugins.module_utils.s3 import (
    BotoCoreError,
    ClientError,
    backups_argument_spec,
    fail_request,
    s3_client,
    s3_module,
)


def main():
    module = s3_module(dict(
        backups_argument_spec(),
        server_name=dict(type="str", required=True),
        successor=dict(type="str", required=True),
        cluster=dict(type="str", required=True),
        system_identifier=dict(type="str", required=True),
        restored_from=dict(type="dict", default={}),
    ))
    params = module.params
    client = s3_client(params)

    def key(server):
        return wal_archive.owner_record_key(params["prefix"], server)

    try:
        current, _chain = wal_archive.current_server(params["server_name"], lambda name: read_json(client, params["bucket"], key(name)))
        if current == params["successor"]:
            module.exit_json(changed=False, superseded=None, msg="the cluster archives into %s already" % current)
        if read_json(client, params["bucket"], key(params["successor"])) is not None:
            module.fail_json(msg="Server name %s is taken in the store; nothing was changed." % params["successor"])
        before = read_json(client, params["bucket"], key(current))
        old, new = wal_archive.handover(before, params["cluster"], params["system_identifier"],
                                        params["successor"], params["restored_from"])
        if not module.check_mode:
            # The new record first: a run that stops in between leaves the old server in use.
            for server, record in ((params["successor"], new), (current, old)):
                write_json(client, params["bucket"], key(server), record)
    except (BotoCoreError, ClientError) as error:
        fail_request(module, "the WAL archive records of %s" % params["cluster"], error)
    except ValueError as error:
        module.fail_json(msg="Cannot tell where cluster %s archives: %s. Nothing was changed." % (params["cluster"], error))
    result = dict(changed=True, superseded=current)
    if module._diff:
        result["diff"] = records_diff(params["bucket"], [(key(params["successor"]), None, new), (key(current), before, old)])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
