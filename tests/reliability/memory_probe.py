"""
Run one hook call in a fresh process and report how much its peak memory grew.

``python -m tests.reliability.memory_probe <get_run|a_get_run|run_notebook> <run id or notebook id>``
with ``AIRFLOW_CONN_DATALORE_DEFAULT`` set; prints ``{"rise_mib": ..., "error": ...}`` as JSON. The
emulator runs in the test's process, so only the client's memory is measured.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main(call: str, argument: str) -> None:
    import aiohttp  # noqa: F401 - imported before the baseline, as in a worker or triggerer
    import requests  # noqa: F401

    from airflow_provider_datalore.hooks.datalore import DataloreHook

    hook = DataloreHook(retry_limit=1)
    _ = hook.settings
    before = peak_mib()
    error = None
    try:
        if call == "get_run":
            hook.get_run(argument)
        elif call == "a_get_run":
            asyncio.run(hook.a_get_run(argument))
        else:
            hook.run_notebook(argument)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
    print(json.dumps({"rise_mib": peak_mib() - before, "error": error}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
