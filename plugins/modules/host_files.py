#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: host_files
short_description: Installs a set of files into one directory of a host in one run
version_added: 0.1.0
description:
  - Renders templates and reads files on the controller, as M(ansible.builtin.template) and
    M(ansible.builtin.copy) do, and writes into O(dest_dir) on the host only the files whose
    content differs, each atomically, then sets their owner, group and mode.
  - A role's scripts, units or host code thus cost one module run per host, not a stat and a
    file module run for every file, also when nothing changed.
  - The file a template makes is named after it without C(.j2); a source keeps its base name.
author:
  - Thalassa DBaaS team (@thalassa-dbaas)
options:
  dest_dir:
    description: The directory on the host that receives the files. It must exist when there are files to write.
    type: path
    required: true
  templates:
    description:
      - Templates rendered on the controller with the task's variables, found as
        M(ansible.builtin.template) finds them (a role's C(templates/) first).
      - C(dbaas-backup.service.j2) makes O(dest_dir)C(/dbaas-backup.service).
    type: list
    elements: str
    default: []
  sources:
    description:
      - Files on the controller copied as they are, found as M(ansible.builtin.copy) finds
        them (a role's C(files/) first, or an absolute path). Each keeps its base name.
    type: list
    elements: str
    default: []
  files:
    description:
      - Further files given by their content, as a mapping of file name to text.
      - The action plugin also passes the rendered O(templates) and O(sources) to the host here.
    type: dict
    default: {}
  remove:
    description:
      - Names of files in O(dest_dir) to remove when they are there (files an earlier run
        wrote and that are no longer wanted). A name both given and to remove is refused.
      - C(--diff) names a removed file, never its content (it may hold a key).
    type: list
    elements: str
    default: []
  owner:
    description: Owner of every file of the set.
    type: str
  group:
    description: Group of every file of the set.
    type: str
  mode:
    description: Mode of every file of the set, as M(ansible.builtin.file) takes it (V("0755")).
    type: raw
notes:
  - Two files of the set with the same name are refused before anything is written.
  - Files in O(dest_dir) that the set does not name are left alone.
attributes:
  action:
    description: Templates and sources are read on the controller.
    support: full
  check_mode:
    description: Reports which files would change; writes nothing.
    support: full
  diff_mode:
    description: Shows each changed file's content and attributes, before and after.
    support: full
"""

EXAMPLES = r"""
- name: Install the backup and retention units
  thalassa.dbaas.host_files:
    dest_dir: /etc/systemd/system
    templates: [dbaas-backup.service.j2, dbaas-backup.timer.j2]
    owner: root
    group: root
    mode: "0644"
  register: units

- name: Forget another store's settings
  thalassa.dbaas.host_files:
    dest_dir: /etc/dbaas/backup
    remove: [restore-source.json, restore-source-credentials]

- name: Install the archiver and the pure logic it imports
  thalassa.dbaas.host_files:
    dest_dir: /usr/local/lib/dbaas
    sources: [dbaas_wal_archiver.py, "{{ role_path }}/../../plugins/module_utils/wal_archive_queue.py"]
    mode: "0644"
"""

RETURN = r"""
changed_files:
  description: Paths written, removed or whose attributes changed (in check mode, that would be), in name order.
  returned: always
  type: list
  elements: str
  sample: [/etc/systemd/system/dbaas-backup.service]
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.thalassa.dbaas.plugins.module_utils import host_files


def current_content(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write_atomically(module, path, content):
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".%s." % os.path.basename(path))
    with os.fdopen(handle, "wb") as stream:
        stream.write(content.encode("utf-8"))
    module.atomic_move(temporary, path)


def file_attributes(module, path):
    """Owner, group and mode for one file of the set, as AnsibleModule sets them (SELinux context: the default)."""
    return module.load_file_common_arguments(
        dict(owner=module.params["owner"], group=module.params["group"], mode=module.params["mode"]), path=path)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest_dir=dict(type="path", required=True),
            templates=dict(type="list", elements="str", default=[]),
            sources=dict(type="list", elements="str", default=[]),
            files=dict(type="dict", default={}),
            remove=dict(type="list", elements="str", default=[]),
            owner=dict(type="str"),
            group=dict(type="str"),
            mode=dict(type="raw"),
        ),
        supports_check_mode=True,
    )
    dest_dir = module.params["dest_dir"]
    if module.params["templates"] or module.params["sources"]:
        module.fail_json(msg="templates and sources are read on the controller by this module's action plugin; "
                             "run it as thalassa.dbaas.host_files in a task.")
    if not os.path.isdir(dest_dir):
        if not module.params["files"]:
            module.exit_json(changed=False, changed_files=[], diff=[])  # nothing to write, and nothing there to remove
        module.fail_json(msg="%s is not a directory on %s: create it before installing files into it. Nothing was changed."
                             % (dest_dir, os.uname()[1]))
    wanted = module.params["files"]
    try:
        to_remove = host_files.names_to_remove(module.params["remove"], wanted)
    except ValueError as error:
        module.fail_json(msg="%s. Nothing was changed." % error)
    current = {name: current_content(os.path.join(dest_dir, name)) for name in wanted}
    changed, diffs = set(), []
    for name in host_files.files_to_write(wanted, current):
        path = os.path.join(dest_dir, name)
        diffs.append(host_files.content_diff(path, current[name], wanted[name]))
        changed.add(path)
        if not module.check_mode:
            write_atomically(module, path, wanted[name])
    for name in sorted(wanted):
        path = os.path.join(dest_dir, name)
        if current[name] is None and module.check_mode:
            continue  # a new file: its attributes are set when it is written
        attribute_diff = {"before_header": path, "after_header": path, "before": {}, "after": {}}
        if module.set_fs_attributes_if_different(file_attributes(module, path), False, diff=attribute_diff):
            changed.add(path)
            if attribute_diff["before"] or attribute_diff["after"]:
                diffs.append(attribute_diff)
    for name in to_remove:
        path = os.path.join(dest_dir, name)
        if os.path.lexists(path):
            changed.add(path)
            diffs.append(host_files.removal_diff(path))
            if not module.check_mode:
                os.remove(path)
    module.exit_json(changed=bool(changed), changed_files=sorted(changed), diff=diffs)


if __name__ == "__main__":
    main()
