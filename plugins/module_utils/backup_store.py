# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads what barman-cloud and this collection keep in a store, through a boto3 client
(store_client.make_client): the controller's modules and the scripts on the hosts (the
off-site copy, the restore drill; each gets a copy beside it) share it, so it imports
nothing from Ansible.

The decisions about what was read live in backup_catalog and restore_plan (pure logic);
this module only fetches.
"""

from __future__ import annotations

import json

try:
    from ansible_collections.thalassa.dbaas.plugins.module_utils import backup_catalog as catalog
    from ansible_collections.thalassa.dbaas.plugins.module_utils.store_client import ClientError, is_error_code
except ImportError:  # a copy on a host, beside copies of those two
    import backup_catalog as catalog  # pylint: disable=import-error
    from store_client import ClientError, is_error_code  # pylint: disable=import-error


def list_keys(client, bucket, prefix, delimiter=None):
    """(objects, common prefixes) under prefix, over every page."""
    objects, prefixes = [], []
    arguments = dict(Bucket=bucket, Prefix=prefix)
    if delimiter:
        arguments["Delimiter"] = delimiter
    for page in client.get_paginator("list_objects_v2").paginate(**arguments):
        objects.extend(page.get("Contents", []))
        prefixes.extend(item["Prefix"] for item in page.get("CommonPrefixes", []))
    return objects, prefixes


def read_backups(client, bucket, base, objects=None):
    """Every base backup under base (a server's base/ prefix) that has its backup.info, with
    the bytes it stores; objects: what a listing of base found, when the caller has it."""
    if objects is None:
        objects, _prefixes = list_keys(client, bucket, base)
    stored_bytes = {}
    for item in objects:
        backup_id = catalog.backup_id_of(item["Key"], base)
        if backup_id:
            stored_bytes[backup_id] = stored_bytes.get(backup_id, 0) + item["Size"]
    backups = []
    for backup_id in sorted(stored_bytes):
        key = "%s%s/backup.info" % (base, backup_id)
        if not any(item["Key"] == key for item in objects):
            continue  # a backup still uploading its data, or debris: barman lists neither
        text = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        backups.append(catalog.describe_backup(backup_id, catalog.parse_backup_info(text), stored_bytes[backup_id]))
    return backups


def newest_wal(client, bucket, wals):
    """(segment name, time the store got it) of the newest WAL, from the last directory."""
    _objects, directories = list_keys(client, bucket, wals, delimiter="/")
    for directory in sorted(directories, reverse=True):
        objects, _prefixes = list_keys(client, bucket, directory)
        key = catalog.newest_wal_key([item["Key"] for item in objects])
        if key:
            modified = next(item["LastModified"] for item in objects if item["Key"] == key)
            return catalog.wal_name(key), modified.isoformat()
    return None, None


def restore_points_prefix(prefix: str, server_name: str) -> str:
    """Next to barman's tree, like the WAL archive's owner record."""
    prefix = prefix.strip("/")
    return "%sthalassa-dbaas/%s/restore_points/" % (prefix + "/" if prefix else "", server_name)


def restore_point_key(prefix: str, server_name: str, name: str) -> str:
    return "%s%s.json" % (restore_points_prefix(prefix, server_name), name)


def restore_point_names(client, bucket: str, prefix: str, server_name: str) -> list[str]:
    """The names of the restore points recorded for a server."""
    objects, _prefixes = list_keys(client, bucket, restore_points_prefix(prefix, server_name))
    return sorted(item["Key"].rsplit("/", 1)[1][:-len(".json")] for item in objects if item["Key"].endswith(".json"))


def read_json(client, bucket, key):
    """The JSON document at key, or None when there is none."""
    try:
        return json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError as error:
        if is_error_code(error, "NoSuchKey", "404"):
            return None
        raise


def write_json(client, bucket, key, record) -> None:
    """Writes a JSON record the way read_json and the collection's other readers expect it."""
    client.put_object(Bucket=bucket, Key=key, ContentType="application/json",
                      Body=json.dumps(record, sort_keys=True).encode("utf-8"))


def record_text(record) -> str:
    """How a JSON record reads in a diff: keys sorted, one per line; nothing for no record."""
    return "" if record is None else json.dumps(record, sort_keys=True, indent=2) + "\n"


def records_diff(bucket: str, changes) -> list[dict]:
    """Ansible's --diff for records written to a store: changes is (key, before, after) per
    record, None for a record that is not there; a record left as it was shows no entry."""
    return [
        {"before_header": "s3://%s/%s" % (bucket, key), "after_header": "s3://%s/%s" % (bucket, key),
         "before": record_text(before), "after": record_text(after)}
        for key, before, after in changes if before != after
    ]
