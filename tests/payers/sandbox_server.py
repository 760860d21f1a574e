"""Run the payer sandbox (or any ASGI app) with uvicorn on a free loopback port, in a thread."""

from tracker.web.local_server import free_port, serving

__all__ = ["free_port", "serving"]
