"""The address a request came from, believing ``X-Forwarded-For`` only from our proxies.

Anyone can send the header, so it is read only when the connection itself comes from a
configured proxy (``OCOP_TRUSTED_PROXIES``). Proxies append the address they saw, so the
header is read from its right end, skipping our own proxies; the first address that is not
one of them is the client. With no proxies configured the connection's address is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

Network = IPv4Network | IPv6Network
UNKNOWN = "unknown"


def parse_networks(spec: str) -> tuple[Network, ...]:
    """Comma- or space-separated addresses and networks (``10.0.0.0/8``); ValueError if bad."""
    return tuple(ip_network(part, strict=False) for part in spec.replace(",", " ").split())


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in proxies)


def client_address(peer: str | None, forwarded_for: str | None, proxies: Sequence[Network]) -> str:
    """The client's address: ``peer`` unless it is a trusted proxy that forwarded one."""
    address = peer or UNKNOWN
    if not forwarded_for or not _trusted(address, proxies):
        return address
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        try:
            ip_address(hop)
        except ValueError:
            return address  # a malformed hop: stop believing the rest
        address = hop
        if not _trusted(hop, proxies):
            return hop
    return address
