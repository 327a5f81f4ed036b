"""Command line: serve the emulator until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import TYPE_CHECKING

from airflow_provider_datalore.emulator.config import EmulatorConfig

if TYPE_CHECKING:
    from types import FrameType

    from airflow_provider_datalore.emulator.server import DataloreEmulator


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the emulator's command line."""
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_datalore.emulator",
        description="Serve an emulated Datalore Run API (with scripted faults) for tests and demos.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: 0, a free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--config", metavar="FILE.json", help="tokens, notebooks and faults (JSON)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a throwaway self-signed cert")
    parser.add_argument("--prefix", default="", help="path prefix of the API, e.g. /datalore")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Start the emulator, print its URL, and serve until interrupted."""
    from airflow_provider_datalore.emulator.server import DataloreEmulator
    from airflow_provider_datalore.urls import is_loopback_host

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = EmulatorConfig.from_file(args.config) if args.config else EmulatorConfig.default()
        emulator = DataloreEmulator(config, host=args.host, port=args.port, tls=args.tls, prefix=args.prefix)
    except (OSError, ValueError) as exc:
        parser.error(str(exc))
    if not is_loopback_host(args.host):
        print(
            f"WARNING: listening on {args.host}, reachable from other machines; "
            "the emulator has no real security, use it for tests only.",
            file=sys.stderr,
            flush=True,
        )
    return serve(emulator, f"{args.host}:{args.port}")


def serve(emulator: DataloreEmulator, address: str) -> int:
    """
    Start ``emulator``, print ``Datalore emulator listening on <url>`` (and its CA file), and serve until
    SIGINT or SIGTERM; return the exit code (1: it could not listen on ``address``).
    """
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        emulator.start()
    except OSError as exc:
        print(f"error: cannot listen on {address}: {exc}", file=sys.stderr, flush=True)
        return 1
    try:
        print(f"Datalore emulator listening on {emulator.url}", flush=True)
        if emulator.ca_file:
            print(f"CA file: {emulator.ca_file}", flush=True)
        while not stopping.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
