# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.thalassa.dbaas.plugins.module_utils.backup_bucket import (
    CLUSTER_TAG,
    BucketNotEmptied,
    MANAGED_BY_TAG,
    bucket_name_problem,
    desired_tags,
    empty_bucket,
    encryption_matches,
    encryption_rule,
    merged_tags,
    tag_dict,
    tag_set,
)


@pytest.mark.parametrize("name", ["demo-backups", "a.b.c", "abc", "x" * 63])
def test_valid_bucket_names_are_accepted(name):
    assert bucket_name_problem(name) is None


@pytest.mark.parametrize("name", ["ab", "x" * 64, "Demo", "-demo", "demo-", "de..mo", "192.168.1.1", "de_mo", ""])
def test_invalid_bucket_names_are_refused_with_the_rule(name):
    assert "is not valid" in bucket_name_problem(name)


def test_tags_mark_the_bucket_as_managed_for_the_cluster_and_keep_extra_ones():
    tags = desired_tags("demo", {"team": "dba", CLUSTER_TAG: "other"})
    assert tags == {"team": "dba", MANAGED_BY_TAG: "thalassa.dbaas", CLUSTER_TAG: "demo"}


def test_tags_set_by_others_are_kept_and_ours_win():
    assert merged_tags({"owner": "x", CLUSTER_TAG: "old"}, {CLUSTER_TAG: "demo"}) == {"owner": "x", CLUSTER_TAG: "demo"}


def test_tag_set_round_trips_sorted():
    tags = {"b": "2", "a": "1"}
    assert tag_set(tags) == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert tag_dict(tag_set(tags)) == tags


def test_encryption_is_aes256_unless_a_kms_key_is_given():
    assert encryption_rule(None) == {"SSEAlgorithm": "AES256"}
    assert encryption_rule("key-1") == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "key-1"}


def test_encryption_matches_only_the_same_algorithm_and_key():
    aes = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
    kms = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "key-1"}}]
    assert encryption_matches(aes, None)
    assert not encryption_matches(aes, "key-1")
    assert encryption_matches(kms, "key-1")
    assert not encryption_matches(kms, "key-2")
    assert not encryption_matches([], None)


def test_newest_backup_is_the_latest_backup_id_of_barman_backup_info_keys():
    from ansible_collections.thalassa.dbaas.plugins.module_utils.backup_bucket import newest_backup

    keys = [
        "demo/demo/base/20261118T020000/backup.info",
        "demo/demo/base/20261118T020000/data.tar.gz",
        "demo/demo/base/20261125T020000/backup.info",
        "demo/demo/wals/0000000100000000/000000010000000000000001.gz",
        "demo/demo/base/20261125T020000/data.tar.gz",
    ]
    assert newest_backup(keys) == {"backup_id": "20261125T020000", "server_path": "demo/demo"}
    assert newest_backup(keys[3:]) is None
    assert newest_backup([]) is None


class _RefusingStore:
    """Two pages of versions; the store refuses to delete one version of the second page."""

    def __init__(self):
        self.deleted = []

    def get_paginator(self, _operation):
        pages = [{"Versions": [{"Key": "a", "VersionId": "1"}]},
                 {"Versions": [{"Key": "b", "VersionId": "2"}], "DeleteMarkers": [{"Key": "c", "VersionId": "3"}]}]
        return type("Paginator", (), {"paginate": lambda _self, **_kwargs: iter(pages)})()

    def delete_objects(self, Bucket, Delete):  # pylint: disable=invalid-name
        refused = [{"Key": item["Key"], "VersionId": item["VersionId"], "Code": "AccessDenied", "Message": "Object is WORM protected"}
                   for item in Delete["Objects"] if item["Key"] == "b"]
        self.deleted += [item["Key"] for item in Delete["Objects"] if item["Key"] != "b"]
        assert Bucket == "demo-backups"
        return {"Errors": refused} if refused else {}


def test_a_version_the_store_will_not_delete_stops_the_emptying_with_what_to_do():
    store = _RefusingStore()
    with pytest.raises(BucketNotEmptied) as raised:
        empty_bucket(store, "demo-backups")
    assert raised.value.deleted == 2 and store.deleted == ["a", "c"]
    message = str(raised.value)
    assert "b (version 2): AccessDenied Object is WORM protected" in message
    assert "2 versions were deleted before that and the bucket still exists" in message
    assert "object lock" in message
