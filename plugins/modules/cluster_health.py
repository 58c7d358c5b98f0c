#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cluster_health
short_description: Say what in a cluster's status needs attention, red or yellow
version_added: 0.1.0
description:
  - Reads the summary that C(status.yml) gathers for one cluster (Patroni's members, the
    leader's archiving, the backups in the store, the last restore drill, the off-site
    copy) and returns the findings that need someone, red first.
  - "Red: no leader; a member missing from Patroni's view or not streaming; the object
    store unreadable; a member's HAProxy not answering or routing its read-write port elsewhere
    than to the leader; no backup, or none for O(backup_max_age_days); archiving failing; the
    last restore drill failed or is older than two drill periods; the off-site copy failing."
  - "Yellow: a member's read-only port routing elsewhere than to the replicas within its lag
    limit (or the leader when none is); a replica lagging more than O(replica_lag_bytes) or with unknown lag; WAL
    files waiting longer than O(archive_backlog_seconds); no restore drill yet; the off-site
    copy behind by more than O(copy_lag_seconds)."
  - It reads and changes nothing; runs on the controller.
author:
  - Thalassa DBaaS team (@thalassa-dbaas)
extends_documentation_fragment:
  - thalassa.dbaas.attributes.read_only
options:
  summary:
    description:
      - One cluster as C(status.yml) gathers it - C(reachable), C(members) (rows of
        M(thalassa.dbaas.cluster_status)), C(expected_members) (the inventory's hosts),
        C(backups), C(offsite_copy), C(previous_data_dirs) (the data directories in-place
        restores kept, as M(thalassa.dbaas.restore_leftovers) lists them, with C(member)) and
        C(endpoints) (C(enabled), C(addresses) member to address, C(postgresql_port),
        C(read_write_port), C(read_only_port), C(read_only_max_lag_bytes), C(ca_file), and
        C(routes), member to the answer of M(thalassa.dbaas.endpoint_routes)).
    type: dict
    required: true
  backup_max_age_days:
    description: Red when the newest DONE backup ended longer ago than this.
    type: int
    default: 8
  replica_lag_bytes:
    description: Yellow when a streaming replica replays more than this many bytes behind.
    type: int
    default: 16777216
  archive_backlog_seconds:
    description: Yellow when the oldest WAL file waiting for the archive waits longer.
    type: int
    default: 300
  copy_lag_seconds:
    description: Yellow when a backup ended longer ago than this and is not in the off-site copy.
    type: int
    default: 172800
"""

EXAMPLES = r"""
- name: Say what needs attention in cluster demo
  thalassa.dbaas.cluster_health:
    summary: "{{ status_summary.demo }}"
    backup_max_age_days: 8
  delegate_to: localhost
  register: demo_health
"""

RETURN = r"""
attention:
  description: The findings, red first; empty when nothing needs attention.
  returned: always
  type: list
  elements: dict
  sample: [{level: red, subject: thalassa-lab-pg3, why: "stopped, not streaming (rejoin.yml brings it back)"}]
  contains:
    level: {description: C(red) or C(yellow)., type: str}
    subject: {description: "The member, or backups, archiving, restore drill, off-site copy, cluster.", type: str}
    why: {description: What is wrong and what to do., type: str}
worst:
  description: C(red), C(yellow) or C(ok).
  returned: always
  type: str
line:
  description: The same findings as one line for the status table.
  returned: always
  type: str
connection_strings:
  description:
    - libpq URIs without user or password, from the summary's C(endpoints) (empty without it)
      straight to the members (C(read_write), C(read_only)) and, with client endpoints on,
      through HAProxy on any member (C(haproxy_read_write), C(haproxy_read_only)).
  returned: always
  type: dict
  sample: {read_write: "postgresql://10.0.0.11:5432,10.0.0.12:5432/postgres?target_session_attrs=read-write&sslmode=verify-full"}
lines:
  description:
    - The status table's lines on the client endpoints (connection strings, and whether every
      member's HAProxy routes where Patroni says), backups, WAL archiving, restore drills, the off-site copy and
      the data directories restores kept, from the summary's C(backups), C(offsite_copy) and
      C(previous_data_dirs); empty when none was read.
  returned: always
  type: list
  elements: str
  sample: ["Last backup: 20261126T101500 (2026-11-26 10:15:31+00:00), 2 done in the store, recoverable from 2026-11-26 10:15:31+00:00"]
"""

from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.thalassa.dbaas.plugins.module_utils import endpoints, health, status


def main():
    module = AnsibleModule(
        argument_spec=dict(
            summary=dict(type="dict", required=True),
            backup_max_age_days=dict(type="int", default=8),
            replica_lag_bytes=dict(type="int", default=16777216),
            archive_backlog_seconds=dict(type="int", default=300),
            copy_lag_seconds=dict(type="int", default=172800),
        ),
        supports_check_mode=True,
    )
    limits = {key: module.params[key] for key in health.DEFAULT_LIMITS}
    findings = health.cluster_attention(module.params["summary"], datetime.now(timezone.utc), limits)
    worst = findings[0]["level"] if findings else "ok"
    summary = module.params["summary"]
    endpoints_in = summary.get("endpoints") or {}
    lines = (endpoints.endpoint_lines(endpoints_in, summary.get("members") or [])
             + status.backup_lines(summary.get("backups") or {}) + status.copy_lines(summary.get("offsite_copy") or {})
             + status.previous_copy_lines(summary.get("previous_data_dirs") or []))
    strings = endpoints.connection_strings(endpoints_in) if endpoints_in.get("addresses") else {}
    module.exit_json(changed=False, attention=findings, worst=worst, line=health.attention_line(findings), lines=lines,
                     connection_strings=strings)


if __name__ == "__main__":
    main()
