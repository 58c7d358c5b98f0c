#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: wal_archive_guard
short_description: Refuse to archive a cluster's WAL where another history already lives
version_added: 0.1.0
description:
  - Before a cluster archives into C(s3://bucket/prefix/server), checks the store. An empty
    archive is claimed for the cluster with an owner record (cluster name and database system
    identifier) beside barman-cloud's files. An archive owned by the same system identifier is
    fine. WAL of another cluster, of an older history of a cluster with the same name, or that
    nobody claims, is refused with what was found, and nothing is written.
  - A restore moves a cluster to a new server name and marks the old owner record as
    superseded by it; the guard follows those marks from O(server_name) and answers for the
    server the cluster archives into now (RV(server_name)).
author:
  - Thalassa DBaaS team (@thalassa-dbaas)
extends_documentation_fragment:
  - thalassa.dbaas.s3
  - thalassa.dbaas.s3.backups
options:
  server_name:
    description: barman-cloud server name the cluster started with (usually the cluster name).
    type: str
    required: true
  cluster:
    description: Cluster name, recorded in the owner record.
    type: str
    required: true
  system_identifier:
    description: The cluster's database system identifier (Patroni's C(database_system_identifier)).
    type: str
    required: true
attributes:
  check_mode:
    description: Decides the same; does not write the owner record.
    support: full
  diff_mode:
    description: Shows the owner record it writes when it claims an empty archive (or would, in check mode).
    support: full
"""

EXAMPLES = r"""
- name: Refuse to mix WAL histories
  thalassa.dbaas.wal_archive_guard:
    bucket: demo-backups
    prefix: demo
    server_name: demo
    cluster: demo
    system_identifier: "7712137272768100952"
    endpoint_url: https://s3.eu-central-1.example.com
  delegate_to: localhost
"""

RETURN = r"""
decision:
  description: C(claim) (empty archive, owner record written), C(owned) (this cluster's own archive).
  returned: success
  type: str
owner_record_key:
  description: Key of the owner record.
  returned: always
  type: str
server_name:
  description: The server name the cluster archives into now, after following restores.
  returned: success
  type: str
server_chain:
  description: The server names followed, from O(server_name) to RV(server_name).
  returned: success
  type: list
  elements: str
"""

import json

from ansible_collections.thalassa.dbaas.plugins.module_utils import wal_archive
from ansible_collections.thalassa.dbaas.plugins.module_utils.backup_store import read_json, records_diff
from ansible_collections.thalassa.dbaas.plugins.module_utils.s3 import (
    BotoCoreError,
    ClientError,
    backups_argument_spec,
    fail_request,
    s3_client,
    s3_module,
)


def has_wal(client, bucket, prefix):
    return client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1).get("KeyCount", 0) > 0


def main():
    module = s3_module(dict(
        backups_argument_spec(),
        server_name=dict(type="str", required=True),
        cluster=dict(type="str", required=True),
        system_identifier=dict(type="str", required=True),
    ))
    params = module.params
    client = s3_client(params)
    try:
        server, chain = wal_archive.current_server(
            params["server_name"],
            lambda name: read_json(client, params["bucket"], wal_archive.owner_record_key(params["prefix"], name)),
        )
        key = wal_archive.owner_record_key(params["prefix"], server)
        location = "s3://%s/%s" % (params["bucket"], wal_archive.wal_prefix(params["prefix"], server))
        owner = read_json(client, params["bucket"], key)
        wal_found = has_wal(client, params["bucket"], wal_archive.wal_prefix(params["prefix"], server))
        decision, why = wal_archive.guard_decision(wal_found, owner, params["cluster"], params["system_identifier"])
        if decision == wal_archive.REFUSE:
            module.fail_json(
                msg="Refusing to archive cluster %s into %s: %s. Nothing was changed. Give the cluster its own "
                "backup_object_store_prefix (or bucket), or remove that WAL if it is truly unwanted."
                % (params["cluster"], location, why),
                owner_record_key=key, owner=owner,
            )
        claim = wal_archive.owner_record(params["cluster"], params["system_identifier"])
        if decision == wal_archive.CLAIM and not module.check_mode:
            client.put_object(Bucket=params["bucket"], Key=key, ContentType="application/json", Body=claim.encode("utf-8"))
    except (BotoCoreError, ClientError) as error:
        fail_request(module, "the WAL archive of %s" % params["cluster"], error)
    except ValueError as error:
        module.fail_json(msg="Cannot tell where cluster %s archives: %s. Nothing was changed." % (params["cluster"], error))
    result = dict(changed=decision == wal_archive.CLAIM, decision=decision, owner_record_key=key, msg=why,
                  server_name=server, server_chain=chain)
    if module._diff and result["changed"]:
        result["diff"] = records_diff(params["bucket"], [(key, owner, json.loads(claim))])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
