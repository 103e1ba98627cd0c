"""`mlplab playground`: the local web page where a network trains live (see mlplab.playground)."""

from __future__ import annotations

import argparse
from typing import Any


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 (any free one) to 65535, "
                                         f"got {text!r}")
    return value


def add_playground(commands: Any) -> None:
    playground = commands.add_parser(
        "playground", help="train a network live in the browser",
        description="Start the playground's local web server and print its URL: a page where "
        "a network trains in mlplab and draws its decision boundary, neurons, losses, error "
        "surface, direction changes, restarts and alpha sweeps as it learns. Needs the "
        "'playground' extra (pip install \"mlplab[playground]\"). Ctrl-C stops it.")
    playground.add_argument("--host", default="127.0.0.1",
                            help="address to listen on (default 127.0.0.1: this machine "
                            "only; 0.0.0.0 opens it to the network)")
    playground.add_argument("--port", type=_port, default=0,
                            help="port (default 0: any free one)")
    playground.add_argument("--open", action="store_true", help="open it in a browser")
    playground.set_defaults(run=_playground)


def _playground(args: argparse.Namespace) -> str:
    from mlplab.playground.server import serve  # the server's imports only when it runs

    serve(args.host, args.port, open_browser=args.open,
          announce=lambda line: print(line, flush=True))
    return "mlplab playground: stopped"
