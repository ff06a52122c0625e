"""Which host names ``lrnn serve`` answers to: on a loopback address, only its own (a
defence against DNS rebinding, see :func:`answering_only`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lrnn.data.checks import clip

#: What a server on a loopback address is called by the browsers and tools on its machine.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})


def host_name(header: str) -> str:
    """A Host header's name, lower-cased, without its port or a final dot; an IPv6 address
    in brackets, as a URL writes it ("::1" and "[::1]:8000" are both "[::1]")."""
    name = header.strip().lower()
    if name.startswith("["):
        name = name[: name.find("]") + 1] if "]" in name else name
    elif name.count(":") == 1:
        name = name.rsplit(":", 1)[0]
    elif name.count(":") > 1:
        name = f"[{name}]"
    return name.rstrip(".")


def answering_only(app: Any, names: frozenset[str], error: Callable[[int, str], Any]) -> Any:
    """``app``, refusing requests addressed to another host name.

    A server on 127.0.0.1 is out of other machines' reach, but not of a web page open in this
    machine's browser: a page of attacker.example can make its own name resolve to 127.0.0.1
    (DNS rebinding) and then read /metadata and predictions as a page of the same origin. Its
    requests still say ``Host: attacker.example``, which is what gives them away."""

    async def guarded(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            host = next((v for k, v in scope["headers"] if k == b"host"), None)
            if host is not None and host_name(host.decode("latin-1")) not in names:
                shown = clip(host.decode("latin-1"), 100)
                message = (
                    f"this server answers to {', '.join(sorted(names))} only, not to the "
                    f"host name {shown!r} (a page of another site can reach it that way); use "
                    "one of those names, or serve with --allow-host NAME for a proxy's."
                )
                await error(421, message)(scope, receive, send)
                return
        await app(scope, receive, send)

    return guarded
