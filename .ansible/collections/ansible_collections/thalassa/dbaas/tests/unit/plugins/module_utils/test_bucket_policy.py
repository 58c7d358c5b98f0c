# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.thalassa.dbaas.plugins.module_utils.bucket_policy import (
    DBAAS_SID,
    PolicyError,
    customer_sid,
    dbaas_statement,
    dbaas_statement_state,
    desired_policy,
    managed_statements,
    normalise_policy,
    policies_equal,
)

SERVICE = "arn:aws:iam::111122223333:user/dbaas-backup"
READER = "arn:aws:iam::444455556666:user/analytics"
FOREIGN = {"Sid": "AuditorList", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:user/audit"},
           "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::backups"}


def managed(readers=()):
    return managed_statements("backups", "demo", [SERVICE], list(readers))


def test_dbaas_statement_lets_the_service_list_and_read_write_delete_under_the_prefix_only():
    statement = dbaas_statement("backups", "demo/", [SERVICE])
    assert statement["Sid"] == DBAAS_SID
    assert statement["Principal"] == {"AWS": [SERVICE]}
    assert statement["Resource"] == ["arn:aws:s3:::backups", "arn:aws:s3:::backups/demo/*"]
    assert set(statement["Action"]) == {
        "s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketVersions",
        "s3:GetObject", "s3:PutObject", "s3:DeleteObject",
    }


@pytest.mark.parametrize("principals", [[], [""], None])
def test_a_principal_list_without_the_service_is_refused(principals):
    with pytest.raises(PolicyError, match="needs the service principal"):
        dbaas_statement("backups", "demo", principals)


def test_customer_statement_is_read_only_with_a_stable_sid():
    statements = managed([{"principal": READER}])
    customer = statements[1]
    assert customer["Sid"] == customer_sid(READER)
    assert customer["Sid"] == customer_sid(READER)  # deterministic across runs
    assert customer["Action"] == ["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket"]
    assert customer["Principal"] == {"AWS": [READER]}


@pytest.mark.parametrize("action", ["s3:PutObject", "s3:DeleteObject", "s3:*", "s3:PutBucketPolicy"])
def test_customer_statement_with_write_actions_is_refused(action):
    with pytest.raises(PolicyError, match="read-only access only"):
        managed([{"principal": READER, "actions": ["s3:GetObject", action]}])


def test_customer_sid_colliding_with_the_dbaas_statement_is_refused():
    with pytest.raises(PolicyError, match="belongs to the DBaaS statement"):
        managed([{"principal": READER, "sid": DBAAS_SID}])


def test_duplicate_customer_sids_are_refused():
    with pytest.raises(PolicyError, match="more than once"):
        managed([{"principal": READER, "sid": "Same"}, {"principal": SERVICE, "sid": "Same"}])


def test_unmanaged_statements_are_kept_unless_purged():
    current = {"Version": "2012-10-17", "Statement": [FOREIGN]}
    kept = desired_policy(current, managed(), purge_unmanaged=False)
    assert [s["Sid"] for s in kept["Statement"]] == [DBAAS_SID, "AuditorList"]
    purged = desired_policy(current, managed(), purge_unmanaged=True)
    assert [s["Sid"] for s in purged["Statement"]] == [DBAAS_SID]


def test_customer_statements_no_longer_asked_for_are_removed_but_the_dbaas_statement_stays():
    current = desired_policy(None, managed([{"principal": READER}]), purge_unmanaged=False)
    after = desired_policy(current, managed([]), purge_unmanaged=False)
    assert [s["Sid"] for s in after["Statement"]] == [DBAAS_SID]


def test_a_hand_edited_dbaas_statement_is_replaced_not_kept_twice():
    weakened = dict(dbaas_statement("backups", "demo", [SERVICE]), Action=["s3:GetObject"])
    current = {"Statement": [weakened, FOREIGN]}
    after = desired_policy(current, managed(), purge_unmanaged=False)
    assert [s["Sid"] for s in after["Statement"]].count(DBAAS_SID) == 1
    assert dbaas_statement_state(after, managed()[0]) == "intact"


def test_dbaas_statement_state_tells_missing_changed_and_intact():
    expected = managed()[0]
    assert dbaas_statement_state(None, expected) == "missing"
    assert dbaas_statement_state({"Statement": [FOREIGN]}, expected) == "missing"
    assert dbaas_statement_state({"Statement": [dict(expected, Resource="arn:aws:s3:::backups/*")]}, expected) == "changed"
    assert dbaas_statement_state({"Statement": [expected, expected]}, expected) == "changed"
    assert dbaas_statement_state({"Statement": [expected]}, expected) == "intact"


def test_comparison_ignores_order_and_single_value_lists():
    left = {"Version": "2012-10-17", "Statement": [FOREIGN, managed()[0]]}
    reordered = dict(managed()[0], Action=list(reversed(managed()[0]["Action"])), Principal={"AWS": SERVICE})
    right = {"Version": "2012-10-17", "Statement": [reordered, dict(FOREIGN, Action=["s3:ListBucket"])]}
    assert policies_equal(left, right)
    assert not policies_equal(left, {"Statement": [FOREIGN]})


def test_empty_policy_normalises_to_no_statements():
    assert normalise_policy(None) == {"Version": "2012-10-17", "Statement": []}
