"""The board in several worker processes behind one port (`painauth serve --workers N`).

uvicorn's multiprocess supervisor binds the listening socket itself and hands it to the workers,
but binds it with protocol 0; asyncio enables TCP_NODELAY only on connections whose socket says
IPPROTO_TCP, so in the workers Nagle's algorithm stayed on and every keep-alive request after
the first waited about 40 ms for the client's delayed ACK (uvicorn issue #3149). The socket is
re-wrapped as TCP before the workers start.
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess


def listening_socket(config: uvicorn.Config) -> socket.socket:
    """The socket `config` binds, marked TCP so its accepted connections get TCP_NODELAY."""
    bound = config.bind_socket()
    if bound.family not in (socket.AF_INET, socket.AF_INET6) or bound.proto:
        return bound
    tcp = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
    tcp.set_inheritable(True)
    return tcp


def serve_workers(app: str, *, host: str, port: int, workers: int,
                  log_level: str = "info") -> None:
    """Run `app` (an import string of an app factory) in `workers` processes until interrupted;
    a worker that dies is replaced."""
    config = uvicorn.Config(app, factory=True, host=host, port=port, workers=workers,
                            log_level=log_level)
    sock = listening_socket(config)
    try:
        Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
