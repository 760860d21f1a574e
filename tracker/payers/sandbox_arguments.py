"""The arguments of `painauth sandbox`, apart from the sandbox so that building the parser does
not load FastAPI, uvicorn or httpx."""

from __future__ import annotations

import argparse


def add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--rules", metavar="FILE",
                        help="adjudication rules (YAML); default: the built-in rules (docs/payers.md)")
    parser.add_argument("--state", metavar="FILE",
                        help="keep submissions in this JSON file so a restarted sandbox remembers them")
    parser.add_argument("--require-auth", action="store_true",
                        help="answer 401 without a bearer token (from --token or /oauth/token)")
    parser.add_argument("--token", action="append", default=[], metavar="TOKEN",
                        help="a synthetic bearer token the sandbox accepts (repeatable)")
    parser.add_argument("--client", action="append", default=[], metavar="ID:SECRET",
                        help="a synthetic OAuth client for /oauth/token (repeatable)")
