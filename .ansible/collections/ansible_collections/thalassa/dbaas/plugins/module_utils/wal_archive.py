# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whose WAL is in a barman-cloud archive: the guard that keeps two histories apart.

Before a cluster archives into <destination>/<server>, the store must hold no WAL there,
or WAL that this very cluster (same database system identifier) wrote. The first cluster
to archive there leaves an owner record next to barman's files. Pure logic, no network.
"""

from __future__ import annotations

import json

CLAIM = "claim"
OWNED = "owned"
REFUSE = "refuse"


def owner_record_key(prefix: str, server_name: str) -> str:
    """Next to barman's <prefix>/<server>/ tree, not inside it, so barman never sees it."""
    prefix = prefix.strip("/")
    return "%sthalassa-dbaas/%s/owner.json" % (prefix + "/" if prefix else "", server_name)


def wal_prefix(prefix: str, server_name: str) -> str:
    prefix = prefix.strip("/")
    return "%s%s/wals/" % (prefix + "/" if prefix else "", server_name)


def owner_record(cluster: str, system_identifier: str) -> str:
    return json.dumps({"cluster": cluster, "system_identifier": str(system_identifier)}, sort_keys=True)


def guard_decision(has_wal: bool, owner: dict | None, cluster: str, system_identifier: str) -> tuple[str, str]:
    """(CLAIM | OWNED | REFUSE, why)."""
    if owner is None:
        if has_wal:
            return REFUSE, (
                "the archive already holds WAL that no DBaaS cluster claims (another cluster's, "
                "or one written before this guard existed)"
            )
        return CLAIM, "the archive is empty: cluster %s claims it" % cluster
    if str(owner.get("system_identifier")) != str(system_identifier):
        return REFUSE, (
            "the archive holds the WAL history of cluster %s (database system identifier %s), "
            "not of this cluster %s (%s)"
            % (owner.get("cluster"), owner.get("system_identifier"), cluster, system_identifier)
        )
    return OWNED, "the archive holds this cluster's own WAL history"
