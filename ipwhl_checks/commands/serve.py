"""``ipwhl serve CAR... [--host 127.0.0.1] [--port 8080]``: a verifying local gateway.

Prints ``serving http://HOST:PORT/ipfs/<root>/`` for each root CID of the CARs (so
``--port 0`` shows the port it got), logs one line per request to standard error and
stops cleanly on Ctrl-C or SIGTERM (exit 0).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from ..errors import IpwhlError
from ..gateway import BlockStore, GatewayServer
from ..ipld.cid import cid_text

__all__ = ["KEEP_GC", "add_arguments", "run"]

KEEP_GC = True  # a server runs for hours: the cyclic collector stays on (ipwhl_checks.util.nogc)


def _port(text: str) -> int:
    """A TCP port number: 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (expected 0 to 65535)")
    return port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cars", nargs="+", type=Path, metavar="CAR", help="CAR files to serve")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=_port, default=8080, help="port (0: any free port)")


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    store = BlockStore(args.cars)
    try:
        server = GatewayServer((args.host, args.port), store)
    except (OSError, OverflowError) as e:  # (socket.gaierror for an unknown host)
        store.close()
        why = getattr(e, "strerror", None) or e
        raise IpwhlError(f"cannot listen on {args.host}:{args.port} ({why})") from e
    host, port = str(server.server_address[0]), int(server.server_address[1])
    shown = f"[{host}]" if ":" in host else host
    for root in store.roots:
        print(f"serving http://{shown}:{port}/ipfs/{cid_text(root)}/", flush=True)
    if not store.roots:
        print(f"serving http://{shown}:{port}/ipfs/ ({len(store)} blocks, no roots)", flush=True)
    # Ctrl-C stops the server even when SIGINT came in ignored (a shell's background job,
    # some test runners): Python only turns SIGINT into KeyboardInterrupt when it is not.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("ipwhl serve: stopped", file=sys.stderr)
    finally:
        server.server_close()
        store.close()
    return 0
