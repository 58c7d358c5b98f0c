# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backup bucket's settings: what they should be (pure functions) and how to read,
enforce and measure them with a boto3 S3 client (thin functions, one call each)."""

from __future__ import annotations

import re

from ansible_collections.thalassa.dbaas.plugins.module_utils.s3 import ClientError, is_error_code

MANAGED_BY_TAG = "thalassa.dbaas/managed-by"
CLUSTER_TAG = "thalassa.dbaas/cluster"
MANAGED_BY_VALUE = "thalassa.dbaas"

BLOCK_ALL_PUBLIC_ACCESS = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}

# Error codes of stores that do not implement a bucket feature at all.
UNSUPPORTED_CODES = ("NotImplemented", "MethodNotAllowed", "XNotImplemented", "UnsupportedOperation")


BUCKET_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


# ---------------------------------------------------------------- pure
def bucket_name_problem(name: str) -> str | None:
    """Why a name is not a valid S3 bucket name, or None when it is."""
    if not BUCKET_NAME_PATTERN.match(name or ""):
        return (
            "bucket name %r is not valid: use 3 to 63 lower-case letters, digits, '.' and '-', "
            "starting and ending with a letter or digit" % name
        )
    if ".." in name or re.match(r"^\d+\.\d+\.\d+\.\d+$", name):
        return "bucket name %r is not valid: no '..' and not shaped like an IP address" % name
    return None


def desired_tags(cluster: str, extra: dict | None) -> dict:
    tags = dict(extra or {})
    tags[MANAGED_BY_TAG] = MANAGED_BY_VALUE
    tags[CLUSTER_TAG] = cluster
    return tags


def merged_tags(current: dict, wanted: dict) -> dict:
    """Tags others set are kept; the ones we want win."""
    merged = dict(current)
    merged.update(wanted)
    return merged


def encryption_rule(kms_key_id: str | None) -> dict:
    if kms_key_id:
        return {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key_id}
    return {"SSEAlgorithm": "AES256"}


def encryption_matches(current_rules: list[dict], kms_key_id: str | None) -> bool:
    wanted = encryption_rule(kms_key_id)
    for rule in current_rules:
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        if default.get("SSEAlgorithm") == wanted["SSEAlgorithm"] and default.get("KMSMasterKeyID") == wanted.get("KMSMasterKeyID"):
            return True
    return False


def tag_dict(tag_set: list[dict]) -> dict:
    return {tag["Key"]: tag["Value"] for tag in tag_set}


def tag_set(tags: dict) -> list[dict]:
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


# ---------------------------------------------------------------- reads
def bucket_exists(client, name: str) -> bool:
    try:
        client.head_bucket(Bucket=name)
    except ClientError as error:
        if is_error_code(error, "404", "NoSuchBucket", "NotFound"):
            return False
        raise
    return True


def read_versioning(client, name: str) -> str:
    return client.get_bucket_versioning(Bucket=name).get("Status", "Disabled")


def read_encryption_rules(client, name: str) -> list[dict]:
    try:
        answer = client.get_bucket_encryption(Bucket=name)
    except ClientError as error:
        if is_error_code(error, "ServerSideEncryptionConfigurationNotFoundError"):
            return []
        raise
    return answer["ServerSideEncryptionConfiguration"]["Rules"]


def read_public_access_block(client, name: str) -> dict | None:
    """The configuration, {} when none is set, None when the store does not support it."""
    try:
        return client.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    except ClientError as error:
        if is_error_code(error, "NoSuchPublicAccessBlockConfiguration"):
            return {}
        if is_error_code(error, *UNSUPPORTED_CODES):
            return None
        raise


def read_tags(client, name: str) -> dict:
    try:
        return tag_dict(client.get_bucket_tagging(Bucket=name)["TagSet"])
    except ClientError as error:
        if is_error_code(error, "NoSuchTagSet", "NoSuchTagSetError"):
            return {}
        raise


def read_settings(client, name: str) -> dict:
    return {
        "versioning": read_versioning(client, name),
        "encryption": read_encryption_rules(client, name),
        "public_access_block": read_public_access_block(client, name),
        "tags": read_tags(client, name),
    }


def usage(client, name: str) -> dict:
    """Objects, versions and bytes in the bucket, and its newest object."""
    summary = {"object_count": 0, "version_count": 0, "delete_marker_count": 0, "total_bytes": 0, "newest_object": None}
    newest = None
    for page in client.get_paginator("list_object_versions").paginate(Bucket=name):
        for version in page.get("Versions", []):
            summary["version_count"] += 1
            summary["total_bytes"] += version.get("Size", 0)
            if version.get("IsLatest"):
                summary["object_count"] += 1
                if newest is None or version["LastModified"] > newest["LastModified"]:
                    newest = version
        summary["delete_marker_count"] += len(page.get("DeleteMarkers", []))
    if newest is not None:
        summary["newest_object"] = {"key": newest["Key"], "last_modified": newest["LastModified"].isoformat()}
    return summary


# ---------------------------------------------------------------- writes
def create_bucket(client, name: str, region: str) -> None:
    arguments = {"Bucket": name}
    if region and region != "us-east-1":
        arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
    client.create_bucket(**arguments)


def enable_versioning(client, name: str) -> None:
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def put_encryption(client, name: str, kms_key_id: str | None) -> None:
    client.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": encryption_rule(kms_key_id)}]},
    )


def block_public_access(client, name: str) -> None:
    client.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=BLOCK_ALL_PUBLIC_ACCESS)


def put_tags(client, name: str, tags: dict) -> None:
    client.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_set(tags)})


class BucketNotEmptied(Exception):
    """The store refused to delete some versions; `deleted` says how many went before."""

    def __init__(self, name: str, deleted: int, errors: list[dict]) -> None:
        first = errors[0]
        version = " (version %s)" % first["VersionId"] if first.get("VersionId") else ""
        reason = ("%s %s" % (first.get("Code", ""), first.get("Message", ""))).strip().rstrip(".")
        super().__init__(
            "could not empty bucket %s: the store refused to delete %d object versions, the first %s%s: %s. "
            "%d versions were deleted before that and the bucket still exists; lift what protects the rest "
            "(object lock, legal hold, a policy that denies deletes) and run again." % (
                name, len(errors), first.get("Key"), version, reason, deleted))
        self.deleted = deleted


def empty_bucket(client, name: str) -> int:
    """Delete every object version and delete marker; returns how many were deleted.
    Raises BucketNotEmptied when the store refuses any of them."""
    deleted = 0
    for page in client.get_paginator("list_object_versions").paginate(Bucket=name):
        keys = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        for start in range(0, len(keys), 1000):
            batch = keys[start:start + 1000]
            answer = client.delete_objects(Bucket=name, Delete={"Objects": batch, "Quiet": True})
            errors = answer.get("Errors") or []
            deleted += len(batch) - len(errors)
            if errors:
                raise BucketNotEmptied(name, deleted, errors)
    return deleted


# ---------------------------------------------------------------- barman's layout
# barman-cloud writes each base backup as <prefix>/<server>/base/<backup id>/backup.info,
# the backup id being its start time as YYYYMMDDTHHMMSS.
BACKUP_INFO_KEY = re.compile(r"^(?P<server_path>.*)/base/(?P<backup_id>\d{8}T\d{6})/backup\.info$")


def newest_backup(keys: list[str]) -> dict | None:
    """The newest base backup among object keys: {'backup_id', 'server_path'}, or None."""
    found = [match.groupdict() for match in (BACKUP_INFO_KEY.match(key) for key in keys) if match]
    if not found:
        return None
    return max(found, key=lambda backup: backup["backup_id"])


def current_keys(client, name: str, prefix: str = "") -> list[str]:
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys
