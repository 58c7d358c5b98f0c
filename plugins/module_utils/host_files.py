# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which files of a set to write into one directory, and what --diff shows for them.

A role installs its scripts, units and host code as one set per directory, in one module
run on the host instead of one per file (each file would cost a stat and a file module run
even when nothing changed). Templates are named after the file they make, plus ".j2".
"""

from __future__ import annotations

import posixpath

TEMPLATE_SUFFIX = ".j2"


def name_from_template(template: str) -> str:
    """The file a template makes: its base name without ".j2" (dbaas-backup.service.j2 -> dbaas-backup.service)."""
    name = posixpath.basename(template)
    if not name.endswith(TEMPLATE_SUFFIX) or name == TEMPLATE_SUFFIX:
        raise ValueError("template %s is not named <file>%s" % (template, TEMPLATE_SUFFIX))
    return name[: -len(TEMPLATE_SUFFIX)]


def name_from_source(source: str) -> str:
    """The file a copied source makes: its base name."""
    name = posixpath.basename(source.rstrip("/"))
    if not name:
        raise ValueError("source %r names no file" % source)
    return name


def check_name(name: str) -> None:
    """Refuses a name that is not one file inside the directory."""
    if "/" in name or name in ("", ".", ".."):
        raise ValueError("%r is not a file name inside the directory" % name)


def add_file(files: dict[str, str], name: str, content: str) -> None:
    """Adds one file of the set, refusing a second file of the same name (one would silently win)."""
    check_name(name)
    if name in files:
        raise ValueError("two files of the set are both named %s" % name)
    files[name] = content


def files_to_write(wanted: dict[str, str], current: dict[str, bytes | None]) -> list[str]:
    """The names whose content differs from what the directory holds (None: not there), in name order."""
    return sorted(name for name, content in wanted.items() if current.get(name) != content.encode("utf-8"))


def content_diff(path: str, before: bytes | None, after: str) -> dict:
    """One --diff entry for a file whose content changes (before None: the file is new)."""
    return {
        "before_header": path if before is not None else "%s (absent)" % path,
        "after_header": path,
        "before": "" if before is None else before.decode("utf-8", errors="replace"),
        "after": after,
    }


def names_to_remove(names: list[str], wanted: dict[str, str]) -> list[str]:
    """The files to remove, once each, refusing a name outside the directory or one that is also wanted."""
    for name in names:
        check_name(name)
        if name in wanted:
            raise ValueError("%s is both given and to remove" % name)
    return sorted(set(names))


def removal_diff(path: str) -> dict:
    """The --diff entry of a removed file: its path and state, never its content (it may hold a key)."""
    return {"before": {"path": path, "state": "file"}, "after": {"path": path, "state": "absent"}}
