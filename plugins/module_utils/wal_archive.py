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


def owner_record(cluster: str, system_identifier: str, **extra) -> str:
    record = {"cluster": cluster, "system_identifier": str(system_identifier)}
    record.update(extra)
    return json.dumps(record, sort_keys=True)


def current_server(start: str, read_record, limit: int = 100) -> tuple[str, list[str]]:
    """Follows superseded_by from the server name start to the one a cluster archives into now.

    A restore moves a cluster to a new server name (its new history must never mix with the
    one it was restored from) and marks the old owner record superseded_by the new name, so
    that any later run, from any checkout, archives into the new one. read_record(server)
    returns a server's owner record or None. Returns (current server, chain followed).
    """
    chain = [start]
    record = read_record(start)
    while record and record.get("superseded_by"):
        following = record["superseded_by"]
        if following in chain or len(chain) >= limit:
            raise ValueError("owner records form a loop: %s -> %s" % (" -> ".join(chain), following))
        chain.append(following)
        record = read_record(following)
    return chain[-1], chain


def guard_decision(has_wal: bool, owner: dict | None, cluster: str, system_identifier: str) -> tuple[str, str]:
    """(CLAIM | OWNED | REFUSE, why)."""
    if owner is not None and owner.get("superseded_by"):
        return REFUSE, (
            "the archive was left behind by a restore: cluster %s now archives into server %s"
            % (owner.get("cluster"), owner["superseded_by"])
        )
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


def handover(current: dict | None, cluster: str, system_identifier: str, successor: str, restored_from: dict) -> tuple[dict, dict]:
    """(the current server's record marked superseded_by successor, the successor's record).

    After a point-in-time restore the cluster's new history goes to a new server name; the
    old one stays readable for restores but must never receive WAL again.
    """
    old = dict(current or {"cluster": cluster, "system_identifier": str(system_identifier)})
    old["superseded_by"] = successor
    new = {"cluster": cluster, "system_identifier": str(system_identifier), "restored_from": restored_from}
    return old, new
