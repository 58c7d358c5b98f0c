#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: backup_info
short_description: List a cluster's barman-cloud backups in its object store and the recovery window they cover
version_added: 0.1.0
description:
  - Reads the C(backup.info) files that barman-cloud writes under
    C(<prefix>/<server_name>/base/) and reports each backup's id, name, status, begin and
    end time, WAL and LSN, timeline and the bytes it occupies in the store.
  - Reports the recovery window the store covers, from the end of the oldest DONE backup to
    the newest archived WAL segment.
  - With O(recovery_window_days), also tells which backups a retention policy
    C(RECOVERY WINDOW OF N DAYS) keeps, by barman's own rules, so that what
    C(barman-cloud-backup-delete) will delete can be seen beforehand.
  - Runs wherever boto3 and the store can be reached (usually the controller), so it works
    when no member of the cluster is left. Reads only.
author:
  - Thalassa DBaaS team (@thalassa-dbaas)
extends_documentation_fragment:
  - thalassa.dbaas.attributes.read_only
  - thalassa.dbaas.s3
  - thalassa.dbaas.s3.backups
options:
  server_name:
    description: barman-cloud server name.
    type: str
    required: true
  recovery_window_days:
    description:
      - When set, each backup gets a C(retention) status under
        C(RECOVERY WINDOW OF recovery_window_days DAYS) with a minimum redundancy of
        O(minimum_redundancy).
    type: int
  minimum_redundancy:
    description: Backups retention never goes below.
    type: int
    default: 1
  drill_period_days:
    description:
      - The restore drills' schedule period (restore_drill_period_days). The newest drill
        record of the server is judged C(passed), C(failed), C(overdue) (older than two
        periods) or C(never).
    type: int
    default: 7
"""

EXAMPLES = r"""
- name: List the backups of cluster demo
  thalassa.dbaas.backup_info:
    bucket: demo-backups
    prefix: demo
    server_name: demo
    endpoint_url: https://s3.eu-central-1.example.com
    recovery_window_days: 14
  delegate_to: localhost
  register: demo_backups

- name: Show the newest backup
  ansible.builtin.debug:
    msg: "{{ demo_backups.last_backup.backup_id }} ended {{ demo_backups.last_backup.end_time }}"
  when: demo_backups.last_backup
"""

RETURN = r"""
backups:
  description: Every backup of the server, oldest first.
  returned: always
  type: list
  elements: dict
  sample:
    - backup_id: "20261125T180046"
      name: initial
      status: DONE
      begin_time: "2026-11-25 18:00:46.433298+00:00"
      end_time: "2026-11-25 18:00:51.127353+00:00"
      begin_wal: "000000010000000000000003"
      end_wal: "000000010000000000000003"
      begin_lsn: 0/3000028
      end_lsn: 0/3000100
      timeline: 1
      system_identifier: "7712170340360734021"
      stored_bytes: 3111334
      cluster_bytes: 23158473
      error: null
      retention: VALID
last_backup:
  description: The newest DONE backup, or null when there is none.
  returned: always
  type: dict
recovery_window:
  description: What a restore from this store can reach.
  returned: always
  type: dict
  contains:
    recoverable_from:
      description: End time of the oldest DONE backup (null without one).
      type: str
    newest_wal:
      description: Name of the newest WAL segment in the store.
      type: str
    newest_wal_time:
      description: When the store received it (ISO 8601).
      type: str
    backups_done:
      description: How many DONE backups there are.
      type: int
last_drill:
  description: The newest restore drill record of the server (restore_drill.yml or its timer), or null.
  returned: always
  type: dict
  sample:
    drill_id: "20261126T040012"
    ok: true
    backup_id: "20261126T000512"
    restored_lsn: 0/5000148
    restored_time: "2026-11-26 04:00:10.1+00"
    seconds: {download: 3.2, replay: 4.1, checks: 2.0, total: 10.4}
    problems: []
drill:
  description: How status shows the newest drill.
  returned: always
  type: dict
  contains:
    state:
      description: passed, failed, overdue or never.
      type: str
    age_seconds:
      description: Seconds since the drill finished (null without one).
      type: int
    says:
      description: One line for status.
      type: str
"""

from datetime import datetime, timezone

from ansible_collections.thalassa.dbaas.plugins.module_utils import backup_catalog as catalog
from ansible_collections.thalassa.dbaas.plugins.module_utils import restore_drill
from ansible_collections.thalassa.dbaas.plugins.module_utils.backup_store import list_keys, newest_wal, read_backups, read_json
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
        recovery_window_days=dict(type="int"),
        minimum_redundancy=dict(type="int", default=1),
        drill_period_days=dict(type="int", default=7),
    ))
    params = module.params
    if params["recovery_window_days"] is not None and params["recovery_window_days"] < 1:
        module.fail_json(msg="recovery_window_days must be 1 or more (got %s)." % params["recovery_window_days"])
    client = s3_client(params)
    try:
        backups = read_backups(client, params["bucket"], catalog.base_prefix(params["prefix"], params["server_name"]))
        wal, wal_time = newest_wal(client, params["bucket"], catalog.wals_prefix(params["prefix"], params["server_name"]))
        drills, _prefixes = list_keys(client, params["bucket"], restore_drill.records_prefix(params["prefix"], params["server_name"]))
        drill_key = restore_drill.newest_record_key([item["Key"] for item in drills])
        last_drill = read_json(client, params["bucket"], drill_key) if drill_key else None
    except (BotoCoreError, ClientError) as error:
        fail_request(module, "the backups of %s in bucket %s" % (params["server_name"], params["bucket"]), error)
    if params["recovery_window_days"] is not None:
        report = catalog.retention_report(
            backups, params["recovery_window_days"], datetime.now(timezone.utc), params["minimum_redundancy"]
        )
        for backup in backups:
            backup["retention"] = report[backup["backup_id"]]
    done = [backup for backup in backups if backup["status"] == catalog.DONE]
    module.exit_json(
        changed=False,
        backups=backups,
        last_backup=done[-1] if done else None,
        recovery_window=catalog.recovery_window(backups, wal, wal_time),
        last_drill=last_drill,
        drill=restore_drill.verdict(last_drill, datetime.now(timezone.utc), params["drill_period_days"]),
    )


if __name__ == "__main__":
    main()
