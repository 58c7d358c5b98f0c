# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn Patroni's /cluster answer into status rows and a printable table. Pure logic."""

from __future__ import annotations

COLUMNS = [
    ("member", "Member"),
    ("az", "AZ"),
    ("role", "Role"),
    ("state", "State"),
    ("timeline", "TL"),
    ("lag", "Lag (bytes)"),
]


def _lag(member: dict) -> int | str | None:
    """Replay lag in bytes for replicas; None for the leader."""
    if member.get("role") == "leader":
        return None
    for key in ("replay_lag", "lag"):
        if key in member:
            return member[key]
    return "unknown"


def member_rows(cluster: dict) -> list[dict]:
    """One row per member, leader first, then by name."""
    rows = [
        {
            "member": member.get("name"),
            "az": (member.get("tags") or {}).get("az", ""),
            "role": member.get("role"),
            "state": member.get("state"),
            "timeline": member.get("timeline"),
            "lag": _lag(member),
            "host": member.get("host"),
        }
        for member in cluster.get("members", [])
    ]
    return sorted(rows, key=lambda row: (row["role"] != "leader", row["member"] or ""))


def _cell(value) -> str:
    return "-" if value is None else str(value)


def render_table(cluster_name: str, rows: list[dict]) -> list[str]:
    """A fixed-width table, one string per line, headed by the cluster name."""
    titles = [title for key, title in COLUMNS]
    keys = [key for key, title in COLUMNS]
    cells = [titles] + [[_cell(row[key]) for key in keys] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]

    def line(values: list[str]) -> str:
        return "| " + " | ".join(value.ljust(width) for value, width in zip(values, widths)) + " |"

    rule = "+-" + "-+-".join("-" * width for width in widths) + "-+"
    return ["Cluster %s" % cluster_name, rule, line(cells[0]), rule] + [line(values) for values in cells[1:]] + [rule]
