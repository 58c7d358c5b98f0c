# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What status.yml says needs attention is a list of findings: a level, what it is about,
and why. Pure logic."""

from __future__ import annotations

RED = "red"
YELLOW = "yellow"


def finding(level: str, subject: str, why: str) -> dict:
    return {"level": level, "subject": subject, "why": why}
