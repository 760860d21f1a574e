"""`painauth sandbox`: run the payer sandbox with uvicorn until interrupted."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

PORT = click.IntRange(min=1, max=65535)


@click.command()
@click.option("--port", type=PORT, default=8765, show_default=True, help="port to listen on")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on (127.0.0.1: this machine only)")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE",
              help="adjudication rules (YAML); default: the built-in rules (docs/payers.md)")
@click.option("--state", "state_file", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE",
              help="keep submissions in this JSON file so a restarted sandbox remembers them")
@click.option("--require-auth", is_flag=True,
              help="answer 401 without a bearer token (from --token or /oauth/token)")
@click.option("--token", "tokens", multiple=True, metavar="TOKEN",
              help="a synthetic bearer token the sandbox accepts (repeatable)")
@click.option("--client", "clients", multiple=True, metavar="ID:SECRET",
              help="a synthetic OAuth client for /oauth/token (repeatable)")
def sandbox(port: int, host: str, rules_file: Path | None, state_file: Path | None,
            require_auth: bool, tokens: tuple[str, ...], clients: tuple[str, ...]) -> int:
    """Run the payer sandbox: a Da Vinci PAS payer on this machine for the demo and tests."""
    import uvicorn

    from tracker.payers.sandbox.app import create_app
    from tracker.payers.sandbox.config import SandboxConfig
    from tracker.payers.sandbox.rules import default_rules, load_rules

    oauth_clients = {}
    for pair in clients:
        client_id, sep, secret = pair.partition(":")
        if not sep or not client_id or not secret:
            raise click.BadParameter(f"expected ID:SECRET, got {pair!r}", param_hint="'--client'")
        oauth_clients[client_id] = secret
    config = SandboxConfig(
        rules=load_rules(rules_file) if rules_file else default_rules(), state_file=state_file,
        require_auth=require_auth, bearer_tokens=tokens, clients=oauth_clients)
    if not _is_loopback(host):
        click.echo(f"painauth sandbox: listening on {host}, reachable from other machines; "
                   "it holds synthetic data only", err=True)
    click.echo(f"painauth sandbox: PAS payer at http://{host}:{port} "
               f"(POST /Claim/$submit, /Claim/$inquire, /Subscription); Ctrl-C stops it", err=True)
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
