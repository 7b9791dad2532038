from __future__ import annotations

from dockyard.services.network.etcfiles import FALLBACK_NAMESERVERS, container_resolv_conf


def test_loopback_nameservers_are_dropped() -> None:
    text = container_resolv_conf(
        "search lan\nnameserver 127.0.0.53\nnameserver 10.0.0.2\noptions ndots:1\n"
    )
    assert text == "search lan\nnameserver 10.0.0.2\noptions ndots:1\n"


def test_only_loopback_falls_back_to_dockers_defaults() -> None:
    text = container_resolv_conf("nameserver 127.0.0.53\n")
    assert text.splitlines() == [f"nameserver {s}" for s in FALLBACK_NAMESERVERS]
