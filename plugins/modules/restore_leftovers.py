#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: restore_leftovers
short_description: Previous data directories an in-place restore kept, their sizes, and room for the next restore
version_added: 0.1.0
description:
  - An in-place restore (C(playbooks/restore.yml)) keeps the data directory it replaced
    beside it as C(<data_dir>.before-restore-<stamp>). This module lists those copies with
    their sizes, removes the ones beyond the newest O(keep) when asked, and refuses (fails,
    changing nothing) when the file system of O(data_dir) has less room than what O(copy_bytes) needs
    for a restored copy.
  - Runs on the member whose data directory it looks at.
author:
  - Thalassa DBaaS team (@thalassa-dbaas)
options:
  data_dir:
    description: The data directory whose previous copies to look at.
    type: path
    required: true
  keep:
    description: How many previous copies to keep (the newest ones) when O(remove=true).
    type: int
    default: 1
  remove:
    description: Remove the copies beyond the newest O(keep). Otherwise only report them.
    type: bool
    default: false
  copy_bytes:
    description:
      - Size of the data a restore will put beside the data directory (the base backup's
        cluster size). When the file system has less free space than that, plus a tenth, plus
        O(wal_bytes), the module fails with what could make room; it also fails when
        O(data_dir) is a mount point (the copy could not be renamed into its place). Checked
        before any removal.
    type: int
  wal_bytes:
    description: WAL a recovering copy holds at once (the cluster's C(max_wal_size)).
    type: int
    default: 1073741824
attributes:
  check_mode:
    description: Reports what it would remove; removes nothing.
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Refuse a restore that does not fit beside the data directory
  thalassa.dbaas.restore_leftovers:
    data_dir: /var/lib/postgresql/15/main
    copy_bytes: 4294967296

- name: Keep only the newest previous data directory
  thalassa.dbaas.restore_leftovers:
    data_dir: /var/lib/postgresql/15/main
    keep: 1
    remove: true
"""

RETURN = r"""
copies:
  description: The previous copies that remain, newest first, with their sizes in bytes.
  returned: always
  type: list
  elements: dict
  sample: [{path: /var/lib/postgresql/15/main.before-restore-20261202T090000, bytes: 44040192}]
removed:
  description: The previous copies removed (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
free_bytes:
  description: Free space on the file system of O(data_dir).
  returned: always
  type: int
"""

import os
import shutil

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.thalassa.dbaas.plugins.module_utils import restore_leftovers as leftovers


def directory_bytes(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass  # removed while we walked (a log rotating, say)
    return total


def free_bytes(data_dir):
    existing = data_dir
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    stats = os.statvfs(existing)
    return stats.f_bavail * stats.f_frsize


def main():
    module = AnsibleModule(
        argument_spec=dict(
            data_dir=dict(type="path", required=True),
            keep=dict(type="int", default=1),
            remove=dict(type="bool", default=False),
            copy_bytes=dict(type="int"),
            wal_bytes=dict(type="int", default=1073741824),
        ),
        supports_check_mode=True,
    )
    data_dir = module.params["data_dir"].rstrip("/")
    if module.params["keep"] < 0:
        module.fail_json(msg="keep (restore_keep_previous) must be 0 or more, not %d" % module.params["keep"])
    parent = os.path.dirname(data_dir)
    names = [os.path.join(parent, name) for name in os.listdir(parent)] if os.path.isdir(parent) else []
    paths = leftovers.previous_copies(data_dir, names)
    copies = [{"path": path, "bytes": directory_bytes(path)} for path in paths]
    free = free_bytes(data_dir)
    problem = None
    if module.params["copy_bytes"] is not None:
        if os.path.ismount(data_dir):
            problem = ("%s is a mount point: a restore puts its copy beside it and renames it into its place, "
                       "which needs the data directory inside a file system, not at its root; mount its parent." % data_dir)
        else:
            problem = leftovers.space_problem(
                free, leftovers.space_needed(module.params["copy_bytes"], module.params["wal_bytes"]), copies)
    if problem:
        module.fail_json(msg=problem + " Nothing was changed.", copies=copies, removed=[], free_bytes=free)

    removed = leftovers.copies_to_remove(paths, module.params["keep"]) if module.params["remove"] else []
    if not module.check_mode:
        for path in removed:
            shutil.rmtree(path)
    if removed and not module.check_mode:
        free = free_bytes(data_dir)
    module.exit_json(changed=bool(removed), removed=removed, free_bytes=free,
                     copies=[copy for copy in copies if copy["path"] not in removed])


if __name__ == "__main__":
    main()
