#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: backup_bucket_policy
short_description: Keep a backup bucket's policy with its protected DBaaS statement
version_added: 0.1.0
description:
  - The policy always contains the DBaaS statement (Sid C(DBaaSBackupWriter)) that lets the
    service principals list the bucket and read, write and delete objects under the
    cluster's prefix, nothing more. If it was removed or changed by hand, the module
    restores it and reports a change with a diff.
  - Adds one read-only statement per customer service-account principal (list, get object,
    get bucket location; never put or delete). Customer statements no longer asked for are
    removed.
  - Statements the DBaaS does not manage are kept unless O(purge_unmanaged=true).
  - Input that would drop or weaken the DBaaS statement (no service principal, a customer
    statement with write actions, a Sid collision) fails before anything changes.
author:
  - Thalassa DBaaS team (@thalassa-dbaas)
extends_documentation_fragment:
  - thalassa.dbaas.s3
options:
  bucket:
    description: Bucket name.
    type: str
    required: true
  prefix:
    description: Key prefix the cluster's backups live under (usually the cluster name).
    type: str
    required: true
  service_principals:
    description: Principals (ARNs) the DBaaS writes backups with.
    type: list
    elements: str
    required: true
  customer_readers:
    description: Customer service accounts that get read-only access to the prefix.
    type: list
    elements: dict
    default: []
    suboptions:
      principal:
        description: The service account's principal (ARN).
        type: str
        required: true
      actions:
        description: A subset of the read-only actions; all three by default.
        type: list
        elements: str
      sid:
        description: Statement id (letters and digits); derived from the principal by default.
        type: str
  purge_unmanaged:
    description: Remove statements the DBaaS does not manage.
    type: bool
    default: false
attributes:
  check_mode:
    description: Computes and reports the policy it would write, writing nothing.
    support: full
  diff_mode:
    description: Shows the policy before and after.
    support: full
notes:
  - Some S3-compatible stores keep bucket policies without enforcing them; the module
    manages the stored document either way.
"""

EXAMPLES = r"""
- name: Keep the DBaaS statement and give the analytics team read access
  thalassa.dbaas.backup_bucket_policy:
    bucket: demo-backups
    prefix: demo
    service_principals: ["arn:aws:iam::111122223333:user/dbaas-backup"]
    customer_readers:
      - principal: arn:aws:iam::444455556666:user/analytics
    endpoint_url: https://s3.eu-central-1.example.com
  delegate_to: localhost
"""

RETURN = r"""
policy:
  description: The bucket policy after the run (in check mode, the one it would write).
  returned: success
  type: dict
dbaas_statement:
  description: What the run found of the DBaaS statement before it acted, C(intact), C(missing) or C(changed).
  returned: success
  type: str
"""

import json

from ansible_collections.thalassa.dbaas.plugins.module_utils import bucket_policy
from ansible_collections.thalassa.dbaas.plugins.module_utils.s3 import (
    BotoCoreError,
    ClientError,
    fail_request,
    is_error_code,
    s3_client,
    s3_module,
)


def read_policy(client, bucket):
    try:
        return json.loads(client.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as error:
        if is_error_code(error, "NoSuchBucketPolicy"):
            return None
        raise


def main():
    module = s3_module(dict(
        bucket=dict(type="str", required=True),
        prefix=dict(type="str", required=True),
        service_principals=dict(type="list", elements="str", required=True),
        customer_readers=dict(
            type="list", elements="dict", default=[],
            options=dict(
                principal=dict(type="str", required=True),
                actions=dict(type="list", elements="str"),
                sid=dict(type="str"),
            ),
        ),
        purge_unmanaged=dict(type="bool", default=False),
    ))
    params = module.params

    try:
        managed = bucket_policy.managed_statements(
            params["bucket"], params["prefix"], params["service_principals"], params["customer_readers"]
        )
    except bucket_policy.PolicyError as error:
        module.fail_json(msg="Bucket policy refused, nothing changed: %s" % error)

    client = s3_client(params)
    try:
        current = read_policy(client, params["bucket"])
        wanted = bucket_policy.desired_policy(current, managed, params["purge_unmanaged"])
        found = bucket_policy.dbaas_statement_state(current, managed[0])
        changed = not bucket_policy.policies_equal(current, wanted)
        if found != "intact" and current is not None:
            module.warn("the DBaaS statement %s was %s; restoring it" % (bucket_policy.DBAAS_SID, found))
        if changed and not module.check_mode:
            client.put_bucket_policy(Bucket=params["bucket"], Policy=json.dumps(wanted))
    except (BotoCoreError, ClientError) as error:
        fail_request(module, "the policy of bucket %s" % params["bucket"], error)
    module.exit_json(
        changed=changed, policy=wanted, dbaas_statement=found,
        diff=dict(before=current or {}, after=wanted),
    )


if __name__ == "__main__":
    main()
