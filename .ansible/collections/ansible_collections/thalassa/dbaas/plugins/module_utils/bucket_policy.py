# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backup bucket's policy: the protected DBaaS statement, customers' read-only
statements, and statements the DBaaS does not manage. Pure logic, no network.

The DBaaS statement (Sid DBAAS_SID) lets the service principal list the bucket and read,
write and delete objects under the cluster's prefix, nothing more. No input may drop or
weaken it; a run that finds it removed or changed restores it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re

DBAAS_SID = "DBaaSBackupWriter"
CUSTOMER_SID_PREFIX = "DBaaSCustomerRead"
POLICY_VERSION = "2012-10-17"

DBAAS_BUCKET_ACTIONS = ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketVersions"]
DBAAS_OBJECT_ACTIONS = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
READ_ONLY_ACTIONS = frozenset(["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket"])
SID_PATTERN = re.compile(r"^[A-Za-z0-9]+$")


class PolicyError(ValueError):
    """An input that would drop or weaken the DBaaS statement, or is not valid."""


def bucket_arn(bucket: str) -> str:
    return "arn:aws:s3:::%s" % bucket


def objects_arn(bucket: str, prefix: str) -> str:
    prefix = prefix.strip("/")
    return "arn:aws:s3:::%s/%s*" % (bucket, prefix + "/" if prefix else "")


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def dbaas_statement(bucket: str, prefix: str, service_principals: list[str]) -> dict:
    if not service_principals or not all(service_principals):
        raise PolicyError(
            "the DBaaS statement %s needs the service principal: set service_principals to the "
            "principal the DBaaS writes backups with; it cannot be removed" % DBAAS_SID
        )
    return {
        "Sid": DBAAS_SID,
        "Effect": "Allow",
        "Principal": {"AWS": sorted(set(service_principals))},
        "Action": DBAAS_BUCKET_ACTIONS + DBAAS_OBJECT_ACTIONS,
        "Resource": [bucket_arn(bucket), objects_arn(bucket, prefix)],
    }


def customer_sid(principal: str) -> str:
    return CUSTOMER_SID_PREFIX + hashlib.sha256(principal.encode("utf-8")).hexdigest()[:12]


def customer_statement(bucket: str, prefix: str, reader: dict) -> dict:
    """A read-only statement for one customer service-account principal.

    reader: {"principal": ARN, "actions": optional list, "sid": optional}. Actions other
    than list/get object/get location are refused: customers never write or delete.
    """
    principal = reader.get("principal")
    if not principal:
        raise PolicyError("every customer reader needs a principal")
    actions = sorted(set(_as_list(reader.get("actions")) or READ_ONLY_ACTIONS))
    not_read_only = [action for action in actions if action not in READ_ONLY_ACTIONS]
    if not_read_only:
        raise PolicyError(
            "customer reader %s asks for %s: customers get read-only access only (%s)"
            % (principal, ", ".join(not_read_only), ", ".join(sorted(READ_ONLY_ACTIONS)))
        )
    sid = reader.get("sid") or customer_sid(principal)
    if sid == DBAAS_SID:
        raise PolicyError("customer reader %s uses the Sid %s, which belongs to the DBaaS statement" % (principal, sid))
    if not SID_PATTERN.match(sid):
        raise PolicyError("Sid %r of customer reader %s must be letters and digits only" % (sid, principal))
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": [principal]},
        "Action": actions,
        "Resource": [bucket_arn(bucket), objects_arn(bucket, prefix)],
    }


def managed_statements(bucket: str, prefix: str, service_principals: list[str], readers: list[dict]) -> list[dict]:
    statements = [dbaas_statement(bucket, prefix, service_principals)]
    statements += [customer_statement(bucket, prefix, reader) for reader in readers]
    sids = [statement["Sid"] for statement in statements]
    duplicates = sorted({sid for sid in sids if sids.count(sid) > 1})
    if duplicates:
        raise PolicyError("Sid(s) %s appear more than once among the managed statements" % ", ".join(duplicates))
    return statements


def is_managed(statement: dict, managed_sids: set[str]) -> bool:
    sid = statement.get("Sid", "")
    return sid == DBAAS_SID or sid.startswith(CUSTOMER_SID_PREFIX) or sid in managed_sids


def desired_policy(current: dict | None, managed: list[dict], purge_unmanaged: bool) -> dict:
    """The policy to keep: managed statements first, then (unless purged) every statement
    of the current policy that the DBaaS does not manage. Customer statements that are no
    longer asked for are dropped, since the DBaaS manages them."""
    managed_sids = {statement["Sid"] for statement in managed}
    kept = []
    if current and not purge_unmanaged:
        kept = [
            copy.deepcopy(statement)
            for statement in _as_list(current.get("Statement"))
            if not is_managed(statement, managed_sids)
        ]
    return {"Version": POLICY_VERSION, "Statement": copy.deepcopy(managed) + kept}


def _normalise(value):
    """Order-insensitive form: single values become lists, lists are sorted, keys sorted."""
    if isinstance(value, dict):
        return {key: _normalise(item) for key, item in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        items = [_normalise(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return value


def normalise_statement(statement: dict) -> dict:
    normal = dict(statement)
    for key in ("Action", "NotAction", "Resource", "NotResource"):
        if key in normal:
            normal[key] = _as_list(normal[key])
    principal = normal.get("Principal")
    if isinstance(principal, dict):
        normal["Principal"] = {key: _as_list(value) for key, value in principal.items()}
    return _normalise(normal)


def normalise_policy(policy: dict | None) -> dict:
    if not policy:
        return {"Version": POLICY_VERSION, "Statement": []}
    statements = [normalise_statement(statement) for statement in _as_list(policy.get("Statement"))]
    return {
        "Version": policy.get("Version", POLICY_VERSION),
        "Statement": sorted(statements, key=lambda statement: json.dumps(statement, sort_keys=True)),
    }


def policies_equal(left: dict | None, right: dict | None) -> bool:
    return normalise_policy(left) == normalise_policy(right)


def dbaas_statement_state(current: dict | None, expected: dict) -> str:
    """'intact', 'missing' or 'changed': what happened to the DBaaS statement."""
    found = [s for s in _as_list((current or {}).get("Statement")) if s.get("Sid") == DBAAS_SID]
    if not found:
        return "missing"
    if len(found) > 1 or normalise_statement(found[0]) != normalise_statement(expected):
        return "changed"
    return "intact"
