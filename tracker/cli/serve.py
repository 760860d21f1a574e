"""`painauth serve`: the status board on uvicorn, bound to 127.0.0.1 unless told otherwise, with
the embedded scheduler running the flows on prefect.yaml's cadences."""

from __future__ import annotations

import os

import click

from tracker.cli.sandbox import PORT

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on (127.0.0.1: this machine only)")
@click.option("--port", type=PORT, default=8000, show_default=True, help="port")
@click.option("--no-scheduler", is_flag=True,
              help="serve the board only; the flows run from Prefect deployments instead of the "
                   "embedded scheduler")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="board processes answering requests side by side (about one per core); the "
                   "scheduler runs once, in the parent process")
def serve(host: str, port: int, no_scheduler: bool, workers: int) -> int:
    """Run the status board (http://127.0.0.1:8000 by default) and the embedded scheduler."""
    from tracker.scheduling.embedded_prefect import use_embedded_prefect

    use_embedded_prefect()
    import uvicorn

    from tracker.cli import CommandFailed
    from tracker.cli.database import database
    from tracker.errors import PainauthError
    from tracker.scheduling.running import start_embedded_scheduler
    from tracker.settings import load_settings
    from tracker.store.users import list_users
    from tracker.web.app import create_app
    from tracker.web.secret_key import session_secret

    settings = load_settings()
    with database(settings) as engine:
        if not list_users(engine):
            click.echo("painauth serve: nobody can sign in yet: add a user with "
                       "`painauth users add NAME --role admin`", err=True)
        if host not in LOOPBACK:
            click.echo(f"painauth serve: listening on {host}, reachable from other machines; put "
                       "it behind HTTPS before real use", err=True)
        secret = session_secret(settings)
        try:
            scheduler = None if no_scheduler else start_embedded_scheduler(engine)
        except PainauthError as err:
            raise CommandFailed(str(err)) from None
        click.echo(f"status board at http://{host}:{port}/ (database "
                   f"{settings.database_url_for_display()}); Ctrl-C stops it")
        try:
            if workers == 1:
                uvicorn.run(create_app(engine, secret), host=host, port=port, log_level="info")
            else:  # uvicorn spawns the workers; each builds the board from the same settings
                from tracker.web.workers import serve_workers

                os.environ["PAINAUTH_SECRET_KEY"] = secret
                serve_workers("tracker.web.app:board_from_settings", host=host, port=port,
                              workers=workers)
        finally:
            if scheduler is not None:
                scheduler.stop()
    return 0
