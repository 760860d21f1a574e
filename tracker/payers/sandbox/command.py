"""`painauth sandbox`: run the payer sandbox with uvicorn until interrupted."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from tracker.errors import InputError
from tracker.payers.sandbox.app import create_app
from tracker.payers.sandbox.config import SandboxConfig
from tracker.payers.sandbox.rules import default_rules, load_rules


def sandbox_command(args: argparse.Namespace) -> int:
    import uvicorn

    if not 0 < args.port < 65536:
        raise InputError("--port", f"{args.port} is not a port number (1-65535)")
    clients = {}
    for pair in args.client:
        client_id, sep, secret = pair.partition(":")
        if not sep or not client_id or not secret:
            raise InputError("--client", f"expected ID:SECRET, got {pair!r}")
        clients[client_id] = secret
    config = SandboxConfig(
        rules=load_rules(Path(args.rules)) if args.rules else default_rules(),
        state_file=Path(args.state) if args.state else None,
        require_auth=args.require_auth, bearer_tokens=tuple(args.token), clients=clients)
    if not _is_loopback(args.host):
        print(f"painauth sandbox: listening on {args.host}, reachable from other machines; "
              "it holds synthetic data only", file=sys.stderr)
    print(f"painauth sandbox: PAS payer at http://{args.host}:{args.port} "
          f"(POST /Claim/$submit, /Claim/$inquire, /Subscription); Ctrl-C stops it", file=sys.stderr)
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning")
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
