"""
The Datalore emulator as the topology suite runs it: the package's emulator, with an outage switch.

``python tests/topology/outage_emulator.py --config FILE.json`` serves the emulator on a free loopback
port and prints ``Datalore emulator listening on <url>``, as ``python -m airflow_provider_datalore.emulator``
does. The emulator's faults are counted (each answers ``times`` requests); an outage must instead last
a given time, whatever the number of requests. So here SIGUSR1 starts an outage: every endpoint
answers 503 or drops the connection, alternately (the emulator's ``status`` and ``drop`` faults, queued
far beyond what any outage meets); SIGUSR2 ends it (the queues are emptied). SIGINT or SIGTERM stop
the server (the package's command line does that part: ``serve``).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from typing import TYPE_CHECKING

from airflow_provider_datalore.emulator import DataloreEmulator, EmulatorConfig, Fault
from airflow_provider_datalore.emulator.__main__ import serve
from airflow_provider_datalore.emulator.config import ENDPOINTS

if TYPE_CHECKING:
    from types import FrameType

#: Faults queued per endpoint when an outage starts: more requests than an outage of minutes meets.
OUTAGE_FAULTS = 20_000


def outage_faults() -> list[Fault]:
    """Return the faults of an outage: per endpoint, a 503 and a dropped connection, in turn."""
    return [
        fault
        for endpoint in ENDPOINTS
        for _ in range(OUTAGE_FAULTS // 2)
        for fault in (Fault(endpoint=endpoint, status=503), Fault(endpoint=endpoint, action="drop"))
    ]


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; SIGUSR1 starts an outage, SIGUSR2 ends it."""
    parser = argparse.ArgumentParser(prog="outage_emulator.py")
    parser.add_argument("--config", required=True, metavar="FILE.json")
    args = parser.parse_args(argv)
    emulator = DataloreEmulator(EmulatorConfig.from_file(args.config), host="127.0.0.1", port=0)
    faults = outage_faults()  # built once, before any signal: the handler only queues them

    def start_outage(signum: int, frame: FrameType | None) -> None:
        emulator.add_faults(faults)
        print(f"{time.time():.3f} outage: every request answered 503 or dropped", flush=True)

    def end_outage(signum: int, frame: FrameType | None) -> None:
        emulator.clear_faults()
        print(f"{time.time():.3f} outage over", flush=True)

    signal.signal(signal.SIGUSR1, start_outage)
    signal.signal(signal.SIGUSR2, end_outage)
    return serve(emulator, "127.0.0.1:0")


if __name__ == "__main__":
    sys.exit(main())
