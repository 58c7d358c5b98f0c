#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: backup_bucket
short_description: Create, enforce or deprovision a DBaaS backup bucket on any S3-compatible store
version_added: 0.1.0
description:
  - With O(state=present), creates the bucket if missing and enforces versioning, default
    encryption (AES256, or aws:kms with O(kms_key_id)), a full public access block where the
    store supports it, and tags that mark it as managed by the DBaaS for a cluster.
  - With O(state=absent), deletes every object version and delete marker and then the bucket,
    but only when O(confirm_deprovision) equals the bucket's name.
  - Returns what it found, namely object, version and delete-marker counts, total bytes and the newest object.
author:
  - Thalassa DBaaS team (@thalassa-dbaas)
extends_documentation_fragment:
  - thalassa.dbaas.s3
options:
  name:
    description: Bucket name.
    type: str
    required: true
  state:
    description: Whether the bucket should exist.
    type: str
    choices: [present, absent]
    default: present
  cluster:
    description: Cluster the bucket holds backups of; written to the tag C(thalassa.dbaas/cluster).
    type: str
  tags:
    description: Extra tags. Tags set by others are kept.
    type: dict
    default: {}
  kms_key_id:
    description: KMS key for default encryption; without it, AES256.
    type: str
  confirm_deprovision:
    description:
      - Must equal O(name) for O(state=absent) to delete anything.
    type: str
attributes:
  check_mode:
    description: Reports what it would create or change and changes nothing.
    support: full
  diff_mode:
    description: Shows the bucket's settings before and after.
    support: full
"""

EXAMPLES = r"""
- name: Keep the backup bucket of cluster demo
  thalassa.dbaas.backup_bucket:
    name: demo-backups
    cluster: demo
    endpoint_url: https://s3.eu-central-1.example.com
    region: eu-central-1
  delegate_to: localhost

- name: Deprovision it (empties every version first)
  thalassa.dbaas.backup_bucket:
    name: demo-backups
    state: absent
    confirm_deprovision: demo-backups
    endpoint_url: https://s3.eu-central-1.example.com
  delegate_to: localhost
"""

RETURN = r"""
bucket:
  description: The bucket's name, whether it exists, its settings and usage.
  returned: always
  type: dict
  sample:
    name: demo-backups
    exists: true
    versioning: Enabled
    encryption: [{ApplyServerSideEncryptionByDefault: {SSEAlgorithm: AES256}}]
    public_access_block: {BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
    tags: {"thalassa.dbaas/managed-by": thalassa.dbaas, "thalassa.dbaas/cluster": demo}
    object_count: 12
    version_count: 14
    delete_marker_count: 1
    total_bytes: 201326592
    newest_object: {key: demo/wals/0000000100000000/000000010000000000000003.gz, last_modified: "2026-11-25T10:00:00+00:00"}
actions:
  description: What was done (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [created bucket, enabled versioning, set default encryption AES256]
deleted_versions:
  description: Object versions and delete markers deleted before the bucket.
  returned: when state=absent and the bucket was deleted
  type: int
"""

from ansible_collections.thalassa.dbaas.plugins.module_utils import backup_bucket as bucket_utils
from ansible_collections.thalassa.dbaas.plugins.module_utils.s3 import (
    BotoCoreError,
    ClientError,
    fail_request,
    s3_client,
    s3_module,
)


def enforce_settings(client, module):
    """Bring an existing bucket to the wanted settings; returns (before, after, actions)."""
    name = module.params["name"]
    kms_key_id = module.params["kms_key_id"]
    before = bucket_utils.read_settings(client, name)
    after = dict(before)
    actions = []
    check = module.check_mode

    if before["versioning"] != "Enabled":
        actions.append("enabled versioning")
        after["versioning"] = "Enabled"
        if not check:
            bucket_utils.enable_versioning(client, name)

    if not bucket_utils.encryption_matches(before["encryption"], kms_key_id):
        rule = bucket_utils.encryption_rule(kms_key_id)
        actions.append("set default encryption %s" % rule["SSEAlgorithm"])
        after["encryption"] = [{"ApplyServerSideEncryptionByDefault": rule}]
        if not check:
            bucket_utils.put_encryption(client, name, kms_key_id)

    if before["public_access_block"] is None:
        module.warn("the store does not support public access blocks on bucket %s; make sure its ACLs keep it private" % name)
    elif before["public_access_block"] != bucket_utils.BLOCK_ALL_PUBLIC_ACCESS:
        actions.append("blocked all public access")
        after["public_access_block"] = dict(bucket_utils.BLOCK_ALL_PUBLIC_ACCESS)
        if not check:
            bucket_utils.block_public_access(client, name)

    wanted_tags = bucket_utils.merged_tags(
        before["tags"], bucket_utils.desired_tags(module.params["cluster"], module.params["tags"])
    )
    if wanted_tags != before["tags"]:
        actions.append("set tags")
        after["tags"] = wanted_tags
        if not check:
            bucket_utils.put_tags(client, name, wanted_tags)
    return before, after, actions


def ensure_present(client, module):
    name = module.params["name"]
    if not module.params["cluster"]:
        module.fail_json(msg="cluster is required with state=present: name the cluster whose backups the bucket holds")
    existed = bucket_utils.bucket_exists(client, name)
    if not existed and module.check_mode:
        module.exit_json(
            changed=True,
            actions=["created bucket", "enabled versioning", "set default encryption", "blocked all public access", "set tags"],
            bucket=dict(name=name, exists=False),
            diff=dict(before=dict(exists=False), after=dict(exists=True)),
        )
    actions = []
    if not existed:
        bucket_utils.create_bucket(client, name, module.params["region"])
        actions.append("created bucket")
    before, after, more = enforce_settings(client, module)
    actions += more
    report = dict(after, name=name, exists=True, **bucket_utils.usage(client, name))
    module.exit_json(
        changed=bool(actions), actions=actions, bucket=report,
        diff=dict(before=dict(before, exists=True) if existed else dict(exists=False), after=dict(after, exists=True)),
    )


def ensure_absent(client, module):
    name = module.params["name"]
    if not bucket_utils.bucket_exists(client, name):
        module.exit_json(changed=False, actions=[], bucket=dict(name=name, exists=False))
    found = dict(name=name, exists=True, **bucket_utils.usage(client, name))
    if module.params["confirm_deprovision"] != name:
        module.fail_json(
            msg="Refusing to delete bucket %s: it holds %d objects (%d versions, %d bytes). This cannot be undone. "
            "Set confirm_deprovision to the bucket's name to delete it." % (name, found["object_count"], found["version_count"], found["total_bytes"]),
            bucket=found,
        )
    deleted = 0
    if not module.check_mode:
        try:
            deleted = bucket_utils.empty_bucket(client, name)
        except bucket_utils.BucketNotEmptied as error:
            module.fail_json(msg=str(error), bucket=found, deleted_versions=error.deleted, changed=error.deleted > 0)
        client.delete_bucket(Bucket=name)
    module.exit_json(
        changed=True, actions=["emptied bucket", "deleted bucket"], bucket=found, deleted_versions=deleted,
        diff=dict(before=dict(name=name, exists=True), after=dict(name=name, exists=False)),
    )


def main():
    module = s3_module(dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        cluster=dict(type="str"),
        tags=dict(type="dict", default={}),
        kms_key_id=dict(type="str"),
        confirm_deprovision=dict(type="str"),
    ))
    problem = bucket_utils.bucket_name_problem(module.params["name"])
    if problem:
        module.fail_json(msg=problem)
    client = s3_client(module.params)
    try:
        if module.params["state"] == "present":
            ensure_present(client, module)
        else:
            ensure_absent(client, module)
    except (BotoCoreError, ClientError) as error:
        fail_request(module, "bucket %s" % module.params["name"], error)


if __name__ == "__main__":
    main()
