# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Renders the templates and reads the sources of thalassa.dbaas.host_files on the controller,
then runs the module once on the host with their contents."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.thalassa.dbaas.plugins.module_utils import host_files


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("dest_dir", "templates", "sources", "files", "remove", "owner", "group", "mode"))

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        try:
            files = self._contents(args, task_vars)
        except (ValueError, AnsibleActionFail) as error:
            raise AnsibleActionFail(to_text(error)) from error
        args.update(files=files, templates=[], sources=[])
        result.update(self._execute_module(module_name="thalassa.dbaas.host_files", module_args=args, task_vars=task_vars))
        return result

    def _contents(self, args, task_vars):
        files = {}
        for name, content in (args.get("files") or {}).items():
            host_files.add_file(files, name, to_text(content))
        variables = dict(task_vars, ansible_search_path=self._task.get_search_path())
        for template in args.get("templates") or []:
            rendered = self._lookup("ansible.builtin.template", template, variables)
            host_files.add_file(files, host_files.name_from_template(template), rendered)
        for source in args.get("sources") or []:
            path = self._find_needle("files", source)
            with open(path, "rb") as handle:
                host_files.add_file(files, host_files.name_from_source(source), to_text(handle.read()))
        return files

    def _lookup(self, name, term, variables):
        lookup = self._shared_loader_obj.lookup_loader.get(name, loader=self._loader, templar=self._templar)
        return to_text(lookup.run([term], variables=variables)[0])
