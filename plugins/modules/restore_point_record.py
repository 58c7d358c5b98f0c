#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: restore_point_record
short_description: Record a named restore point next to a cluster's backups
version_added: 0.1.0
description:
  - PostgreSQL's restore points (C(pg_create_restore_point)) live only inside the WAL, so
    nothing tells which base backup a restore to one should start from. This module keeps a
    small JSON record (name, LSN, time, cluster) beside barman-cloud's files, under
    C(<prefix>/thalassa-dbaas/<server_name>/restore_points/), which
    M(thalassa.dbaas.restore_plan) reads.
  - With O(lsn) unset it only checks that the name is free, so a playbook can refuse a
    duplicate before it creates the restore point; PostgreSQL would accept a second one and
    recovery would stop at the first.
author:
  - Thalassa DBaaS team (@thalassa-dbaas)
extends_documentation_fragment:
  - thalassa.dbaas.s3
  - thalassa.dbaas.s3.backups
options:
  server_name:
    description: barman-cloud server name.
    type: str
    required: true
  name:
    description: Restore point name.
    type: str
    required: true
  lsn:
    description: Where the restore point was made (what C(pg_create_restore_point) returned).
    type: str
  time:
    description: When it was made (ISO 8601).
    type: str
  cluster:
    description: Cluster name, kept in the record.
    type: str
attributes:
  check_mode:
    description: Decides the same; writes nothing.
    support: full
  diff_mode:
    description: Shows the record it writes (or would write in check mode).
    support: full
"""

EXAMPLES = r"""
- name: Refuse a restore point name that is taken
  thalassa.dbaas.restore_point_record:
    bucket: demo-backups
    prefix: demo
    server_name: demo
    name: before-upgrade
    endpoint_url: https://s3.eu-central-1.example.com
  delegate_to: localhost
"""

RETURN = r"""
record:
  description: The record now in the store (or, with O(lsn) unset, null when the name is free).
  returned: always
  type: dict
key:
  description: Key of the record.
  returned: always
  type: str
"""


from ansible_collections.thalassa.dbaas.plugins.module_utils import restore_plan
from ansible_collections.thalassa.dbaas.plugins.module_utils.backup_store import read_json, records_diff, restore_point_key, write_json
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
        name=dict(type="str", required=True),
        lsn=dict(type="str"),
        time=dict(type="str"),
        cluster=dict(type="str"),
    ))
    params = module.params
    if not restore_plan.RESTORE_POINT_NAME.match(params["name"]):
        module.fail_json(msg="Restore point name %r: use up to 63 letters, digits, '_', '.', ':' or '-'." % params["name"])
    key = restore_point_key(params["prefix"], params["server_name"], params["name"])
    wanted = None
    if params["lsn"]:
        try:
            restore_plan.parse_lsn(params["lsn"])
        except restore_plan.PlanError as error:
            module.fail_json(msg=str(error))
        wanted = {"name": params["name"], "lsn": params["lsn"], "time": params["time"], "cluster": params["cluster"]}
    client = s3_client(params)
    try:
        existing = read_json(client, params["bucket"], key)
        if existing and existing != wanted:
            module.fail_json(
                msg="A restore point named %s exists already (LSN %s, made %s): pick another name. Nothing was changed."
                % (params["name"], existing.get("lsn"), existing.get("time")),
                record=existing, key=key,
            )
        changed = wanted is not None and existing is None
        if changed and not module.check_mode:
            write_json(client, params["bucket"], key, wanted)
    except (BotoCoreError, ClientError) as error:
        fail_request(module, "restore point %s" % params["name"], error)
    result = dict(changed=changed, record=wanted if wanted else existing, key=key)
    if module._diff:
        result["diff"] = records_diff(params["bucket"], [(key, None, wanted)] if changed else [])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
