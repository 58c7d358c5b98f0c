# -*- coding: utf-8 -*-
# Copyright: Thalassa DBaaS team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether an address can be a cluster's virtual IP on a host: on the host's own network,
neither that network's own nor its broadcast address, and no member's address. Pure logic."""

from __future__ import annotations

import ipaddress


def virtual_ip_problem(virtual_ip: str, host_address: str, prefix_length, taken=()) -> str:
    """Why the address cannot be the virtual IP on this host, or '' when it can."""
    try:
        address = ipaddress.ip_address(str(virtual_ip))
    except ValueError:
        return "%r is not an IP address" % (virtual_ip,)
    network = ipaddress.ip_interface("%s/%s" % (host_address, prefix_length)).network
    if address.version != network.version or address not in network:
        return "%s is outside the network of this host (%s, address %s): the address could not follow the leader onto it" % (
            address, network, host_address)
    if network.num_addresses > 2 and address in (network.network_address, network.broadcast_address):
        return "%s is the %s address of %s" % (
            address, "network" if address == network.network_address else "broadcast", network)
    if str(address) in {str(ipaddress.ip_address(str(other))) for other in taken}:
        return "%s is already the address of a member" % address
    return ""
