# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The connection options every object-store module shares (module_utils/s3.py).
    DOCUMENTATION = r"""
requirements:
  - boto3
options:
  endpoint_url:
    description: URL of the S3-compatible endpoint.
    type: str
    required: true
  region:
    description: Region of the bucket.
    type: str
    default: us-east-1
  addressing_style:
    description: Path-style or virtual-host addressing.
    type: str
    choices: [path, virtual, auto]
    default: path
  access_key:
    description: Access key; defaults to the E(AWS_ACCESS_KEY_ID) environment variable.
    type: str
  secret_key:
    description: Secret key; defaults to the E(AWS_SECRET_ACCESS_KEY) environment variable.
    type: str
  session_token:
    description: Session token; defaults to the E(AWS_SESSION_TOKEN) environment variable.
    type: str
  validate_certs:
    description:
      - Verify the endpoint's TLS certificate. With V(false) on an C(https://) endpoint
        the module warns that nothing is verified.
    type: bool
    default: true
  ca_bundle:
    description:
      - CA bundle (PEM) to verify the endpoint with, on the host the module runs on. A
        path that is not a file is refused before any request; a certificate it does not
        verify fails the module with a message naming this option's playbook variable.
    type: path
  connect_timeout:
    description: Seconds to wait for a connection to the endpoint, per attempt.
    type: int
    default: 10
  read_timeout:
    description:
      - Seconds to wait for an answer on an open connection, per attempt. A store that
        accepts connections and never answers (a frozen process) is only noticed by this.
    type: int
    default: 60
  max_attempts:
    description:
      - Attempts per request, the first included (botocore's standard retry mode). A
        request that never gets an answer fails after about
        O(max_attempts) x (O(connect_timeout) + O(read_timeout)) seconds, and the module's
        result then has C(unreachable_store=true).
    type: int
    default: 6
"""

    # Where a cluster's backups are in the store (module_utils/s3.py backups_argument_spec).
    BACKUPS = r"""
options:
  bucket:
    description: Bucket name.
    type: str
    required: true
  prefix:
    description: Key prefix of the cluster's backups (barman-cloud's destination path).
    type: str
    default: ""
"""
