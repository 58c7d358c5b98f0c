# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.thalassa.dbaas.plugins.module_utils.virtual_ip import virtual_ip_problem


def test_a_free_address_on_the_hosts_network_can_be_the_virtual_ip():
    assert virtual_ip_problem("172.30.77.200", "172.30.77.11", 24, ["172.30.77.11", "172.30.77.12"]) == ""
    assert virtual_ip_problem("fd00::200", "fd00::11", "64") == ""


@pytest.mark.parametrize("address, why", [
    ("10.99.0.5", "10.99.0.5 is outside the network of this host (172.30.77.0/24, address 172.30.77.11)"),
    ("172.30.78.5", "is outside the network of this host"),
    ("fd00::5", "is outside the network of this host"),
    ("172.30.77.0", "172.30.77.0 is the network address of 172.30.77.0/24"),
    ("172.30.77.255", "172.30.77.255 is the broadcast address of 172.30.77.0/24"),
    ("172.30.77.12", "172.30.77.12 is already the address of a member"),
    ("not-an-ip", "'not-an-ip' is not an IP address"),
    ("", "'' is not an IP address"),
])
def test_an_address_that_could_not_follow_the_leader_says_why(address, why):
    assert why in virtual_ip_problem(address, "172.30.77.11", 24, ["172.30.77.11", "172.30.77.12"])


def test_a_point_to_point_network_has_no_network_or_broadcast_address_to_avoid():
    assert virtual_ip_problem("10.0.0.1", "10.0.0.0", 31) == ""
