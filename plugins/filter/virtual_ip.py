# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The virtual_ip_problem filter (documented in virtual_ip_problem.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.thalassa.dbaas.plugins.module_utils.virtual_ip import virtual_ip_problem


class FilterModule(object):
    def filters(self):
        return {"virtual_ip_problem": virtual_ip_problem}
