#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: restore_plan
short_description: Choose the base backup and WAL range for a point-in-time restore, or refuse the target
version_added: 0.1.0
description:
  - Reads a cluster's backups and archived WAL in its object store and, for exactly one
    recovery target, chooses the base backup to restore (the newest DONE backup that ended at
    or before the target) and the WAL range to replay, and says why.
  - Refuses, before anything changes, a target that is not given exactly once, is malformed,
    lies before the earliest restorable point or after the newest archived WAL; the message
    gives the restorable window.
  - A restore point name is resolved through the record that C(playbooks/restore_point.yml)
    leaves in the store; a transaction ID through O(xid_commit_time) when the caller knows it.
    Otherwise the oldest backup is chosen, which reaches any later target.
  - Reads only.
author:
  - Thalassa DBaaS team (@thalassa-dbaas)
extends_documentation_fragment:
  - thalassa.dbaas.attributes.read_only
  - thalassa.dbaas.s3
  - thalassa.dbaas.s3.backups
options:
  server_name:
    description: barman-cloud server name whose backups and WAL are restored.
    type: str
    required: true
  follow_restores:
    description:
      - Start from O(server_name) and follow the records earlier restores left (see
        M(thalassa.dbaas.wal_archive_successor)) to the server the cluster archives into now.
    type: bool
    default: false
  target_time:
    description: Recover up to this time (ISO 8601 with a time zone).
    type: str
  target_lsn:
    description: Recover up to this WAL location, e.g. C(0/3000028).
    type: str
  target_xid:
    description: Recover up to the commit of this transaction ID.
    type: str
  target_name:
    description: Recover up to this named restore point.
    type: str
  target_latest:
    description: Recover every archived WAL segment.
    type: bool
    default: false
  xid_commit_time:
    description:
      - When O(target_xid) committed (from C(pg_xact_commit_timestamp)), if known; places the
        target in the restorable window and narrows the choice of base backup.
    type: str
  xid_status:
    description:
      - What the leader's C(pg_xact_status()) says of O(target_xid), or V(future) for a
        transaction ID not assigned yet, or V(unknown) when nobody could say.
      - V(aborted), V(in progress) and V(future) are always refused.
    type: str
    choices: [committed, aborted, in progress, future, unknown]
    default: unknown
  allow_unplaced_target:
    description:
      - Without it, an O(target_xid) without O(xid_commit_time) and an O(target_name) without
        a record in the store are refused, since their position is unknown and a recovery towards
        a point that is not in the WAL fails only at the end of the archive.
      - With it, such a target is planned from the oldest DONE backup.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Plan a restore of cluster demo to a time
  thalassa.dbaas.restore_plan:
    bucket: demo-backups
    prefix: demo
    server_name: demo
    target_time: "2026-11-25T18:00:00+00:00"
    endpoint_url: https://s3.eu-central-1.example.com
  delegate_to: localhost
  register: plan
"""

RETURN = r"""
plan:
  description: The chosen base backup, the WAL to replay and why.
  returned: success
  type: dict
  sample:
    target_kind: time
    target: "2026-11-25T18:00:00+00:00"
    backup_id: "20261125T170000"
    backup_end_time: "2026-11-25 17:00:09.1+00:00"
    backup_end_lsn: 0/9000100
    backup_cluster_bytes: 44040192
    timeline: 1
    wal_from: "000000010000000000000009"
    wal_to: "00000001000000000000000F"
    why: "Backup 20261125T170000: the newest DONE backup that ended at or before 2026-11-25T18:00:00+00:00."
    server_name: demo
    window:
      from_time: "2026-11-18 03:00:07+00:00"
      from_lsn: 0/5000100
      until_time: "2026-11-25T18:00:30+00:00"
      until_lsn: 0/10000000
      newest_wal: "00000001000000000000000F"
restore_point:
  description: The record of the named restore point, when O(target_name) was given and a record exists.
  returned: when target_name is given
  type: dict
"""

from ansible_collections.thalassa.dbaas.plugins.module_utils import backup_catalog as catalog
from ansible_collections.thalassa.dbaas.plugins.module_utils import restore_plan
from ansible_collections.thalassa.dbaas.plugins.module_utils import wal_archive
from ansible_collections.thalassa.dbaas.plugins.module_utils.backup_store import (
    newest_wal,
    read_backups,
    read_json,
    restore_point_key,
    restore_point_names,
)
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
        target_time=dict(type="str"),
        target_lsn=dict(type="str"),
        target_xid=dict(type="str"),
        target_name=dict(type="str"),
        target_latest=dict(type="bool", default=False),
        xid_commit_time=dict(type="str"),
        xid_status=dict(type="str", default="unknown", choices=list(restore_plan.XID_STATES)),
        allow_unplaced_target=dict(type="bool", default=False),
        follow_restores=dict(type="bool", default=False),
    ))
    params = module.params
    try:
        kind, value = restore_plan.parse_target({
            "time": params["target_time"], "lsn": params["target_lsn"], "xid": params["target_xid"],
            "name": params["target_name"], "latest": params["target_latest"],
        })
    except restore_plan.PlanError as error:
        module.fail_json(msg="Restore refused, nothing changed: %s" % error)

    client = s3_client(params)
    record = None
    restore_points = []
    try:
        if params["follow_restores"]:
            params["server_name"], _chain = wal_archive.current_server(
                params["server_name"],
                lambda name: read_json(client, params["bucket"], wal_archive.owner_record_key(params["prefix"], name)),
            )
        backups = read_backups(client, params["bucket"], catalog.base_prefix(params["prefix"], params["server_name"]))
        wal, wal_time = newest_wal(client, params["bucket"], catalog.wals_prefix(params["prefix"], params["server_name"]))
        if kind == "name":
            record = read_json(client, params["bucket"], restore_point_key(params["prefix"], params["server_name"], value))
            if not record:
                restore_points = restore_point_names(client, params["bucket"], params["prefix"], params["server_name"])
    except (BotoCoreError, ClientError) as error:
        fail_request(module, "the backups of %s in bucket %s" % (params["server_name"], params["bucket"]), error)
    except ValueError as error:
        module.fail_json(msg="Restore refused, nothing changed: %s" % error)

    resolved_time = resolved_lsn = None
    if kind == "xid" and params["xid_commit_time"]:
        resolved_time = catalog.parse_time(params["xid_commit_time"])
    if record:
        resolved_lsn = restore_plan.parse_lsn(record["lsn"])
    try:
        restore_plan.check_target_is_placed(kind, value, resolved_time, resolved_lsn, params["xid_status"], restore_points,
                                            params["allow_unplaced_target"])
        plan = restore_plan.choose_backup(backups, kind, value, wal, wal_time, resolved_time, resolved_lsn)
    except restore_plan.PlanError as error:
        module.fail_json(msg="Restore refused, nothing changed: %s" % error,
                         window=restore_plan.restorable_window(backups, wal, wal_time))
    plan["server_name"] = params["server_name"]
    result = dict(changed=False, plan=plan)
    if kind == "name":
        result["restore_point"] = record
    module.exit_json(**result)


if __name__ == "__main__":
    main()
