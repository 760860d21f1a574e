"""The socket `painauth serve --workers N` hands its workers: connections accepted on it get
TCP_NODELAY, so a keep-alive request is answered at once instead of after the client's delayed
ACK (about 40 ms a request on Linux with uvicorn's own socket)."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from tracker.web.local_server import free_port
from tracker.web.workers import listening_socket


async def _nodelay_of_accepted(sock: socket.socket) -> int:
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            peer = transport.get_extra_info("socket")
            accepted.set_result(peer.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
    try:
        host, port = sock.getsockname()[:2]
        _, writer = await asyncio.open_connection(host, port)
        try:
            return await asyncio.wait_for(accepted, timeout=60)
        finally:
            writer.close()
    finally:
        server.close()
        await server.wait_closed()


def test_connections_on_the_workers_socket_send_without_waiting_for_an_ack() -> None:
    config = uvicorn.Config("tracker.web.app:board_from_settings", factory=True,
                            host="127.0.0.1", port=free_port(), workers=2)
    sock = listening_socket(config)
    assert sock.proto == socket.IPPROTO_TCP and sock.get_inheritable()
    assert asyncio.run(_nodelay_of_accepted(sock)) != 0
