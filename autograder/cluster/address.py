"""Which scheduler addresses the autograder connects to, and with what security.

Anyone who can talk to a Dask scheduler can run any code on its workers (a task is a
pickled function), and grading workers run as root. So the scheduler must be reachable
only by the course's machines: a ``tls://`` address, with certificates that Dask's own
configuration names (``distributed.comm.tls.*``; ``python -m autograder
cluster-certificates`` writes them), which the scheduler, the workers and this client all
read; Dask's TLS requires a certificate from the course's CA on both ends. A plain
``tcp://`` address is accepted only on this machine's loopback, unless the instructor
passes the opt-out whose name says what it allows.
"""
from __future__ import annotations

import ipaddress
import socket

from autograder.grade import GradingStopped

PLAIN_OPT_OUT = "--cluster-without-tls-anyone-on-the-network-can-run-code"
TLS_SCHEMES = ("tls", "wss")
PLAIN_SCHEMES = ("tcp", "ws")
README = "autograder/README.md, 'Grading on a cluster'"


class ClusterRefused(GradingStopped):
    """A cluster the autograder will not use as it is."""


def _split(address: str) -> tuple:
    from distributed.comm.addressing import get_address_host, parse_address

    try:
        scheme, _ = parse_address(address)
        return scheme, get_address_host(address)
    except ValueError as err:
        raise ClusterRefused(f"{address!r} is not a Dask scheduler address ({err}); expected "
                             f"tls://HOST:PORT") from None


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` resolves to is this machine's loopback."""
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(found) and all(ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in found)


def unencrypted_on_network(address: str) -> bool:
    """A plain (not TLS) address that other machines can reach."""
    scheme, host = _split(address)
    return scheme not in TLS_SCHEMES and not (scheme in PLAIN_SCHEMES and is_loopback(host))


def security_for(address: str, plain_network_allowed: bool = False):
    """The ``distributed.Security`` to connect to ``address`` with; refuses a network
    address without TLS (unless allowed) and TLS without certificates."""
    from distributed import Security

    scheme, _ = _split(address)
    if scheme in TLS_SCHEMES:
        security = Security(require_encryption=True)
        missing = [key for key, value in (("ca-file", security.tls_ca_file), ("client.cert", security.tls_client_cert))
                   if not value]
        if missing:
            raise ClusterRefused(f"{address} is a TLS address, but Dask's configuration names no "
                                 f"{' and no '.join(f'distributed.comm.tls.{k}' for k in missing)}; see {README}")
        return security
    if unencrypted_on_network(address) and not plain_network_allowed:
        raise ClusterRefused(f"refusing {address}: without TLS, anyone who can reach that scheduler can run any "
                             f"code as root on the grading workers. Use a tls:// address (see {README}), or pass "
                             f"{PLAIN_OPT_OUT} if this network is yours alone")
    return Security()


def check_members(addresses: list, plain_network_allowed: bool = False) -> None:
    """The scheduler's and workers' own addresses: a loopback ``tcp://`` that in fact
    reaches a scheduler listening on the network (a tunnel) is refused too."""
    exposed = [a for a in addresses if unencrypted_on_network(a)]
    if exposed and not plain_network_allowed:
        raise ClusterRefused(f"the cluster talks over the network without TLS ({', '.join(sorted(exposed)[:3])}): "
                             f"anyone who can reach it can run any code as root on the grading workers; "
                             f"use TLS (see {README}) or pass {PLAIN_OPT_OUT}")
