"""Arguments of the board's commands (`serve`, `users add`), kept apart from their handlers so
building the command line never imports FastAPI, uvicorn or the database stack."""

from __future__ import annotations

import argparse

from tracker.roles import USER_ROLES


def add_serve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--no-scheduler", action="store_true",
                   help="serve the board only; the flows run from Prefect deployments instead of "
                        "the embedded scheduler")


def add_user_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="the user name people sign in with")
    p.add_argument("--role", required=True, choices=USER_ROLES,
                   help="scheduler reads; billing also updates authorizations; admin also manages "
                        "users")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of standard input")
