#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: backup_bucket_info
short_description: Describe a backup bucket, its usage and its newest base backup
version_added: 0.1.0
description:
  - Tells whether the bucket exists and, if it does, its object, version and delete-marker
    counts, total bytes (every version), newest object and newest barman-cloud base backup.
  - Reads only.
author:
  - Thalassa DBaaS team (@thalassa-dbaas)
extends_documentation_fragment:
  - thalassa.dbaas.attributes.read_only
  - thalassa.dbaas.s3
options:
  name:
    description: Bucket name.
    type: str
    required: true
  prefix:
    description: Only look for base backups under this key prefix.
    type: str
    default: ""
  usage:
    description:
      - Count objects, versions and bytes, and find the newest base backup. This lists every
        object version; with C(false) the module only checks that the bucket can be reached
        with the credentials given, which is cheap.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Describe the backup bucket before deprovisioning it
  thalassa.dbaas.backup_bucket_info:
    name: demo-backups
    endpoint_url: https://s3.eu-central-1.example.com
  delegate_to: localhost
  register: bucket
"""

RETURN = r"""
bucket:
  description: What was found.
  returned: always
  type: dict
  sample:
    name: demo-backups
    exists: true
    object_count: 12
    version_count: 14
    delete_marker_count: 1
    total_bytes: 201326592
    newest_object: {key: demo/demo/wals/0000000100000000/000000010000000000000003.gz, last_modified: "2026-11-25T10:00:00+00:00"}
    newest_backup: {backup_id: 20261125T020000, server_path: demo/demo}
"""

from ansible_collections.thalassa.dbaas.plugins.module_utils import backup_bucket as bucket_utils
from ansible_collections.thalassa.dbaas.plugins.module_utils.s3 import (
    BotoCoreError,
    ClientError,
    fail_request,
    s3_client,
    s3_module,
)


def main():
    module = s3_module(dict(
        name=dict(type="str", required=True),
        prefix=dict(type="str", default=""),
        usage=dict(type="bool", default=True),
    ))
    name = module.params["name"]
    client = s3_client(module.params)
    try:
        if not bucket_utils.bucket_exists(client, name):
            module.exit_json(changed=False, bucket=dict(name=name, exists=False))
        if not module.params["usage"]:
            module.exit_json(changed=False, bucket=dict(name=name, exists=True))
        report = dict(name=name, exists=True, **bucket_utils.usage(client, name))
        report["newest_backup"] = bucket_utils.newest_backup(bucket_utils.current_keys(client, name, module.params["prefix"]))
    except (BotoCoreError, ClientError) as error:
        fail_request(module, "bucket %s" % name, error)
    module.exit_json(changed=False, bucket=report)


if __name__ == "__main__":
    main()
