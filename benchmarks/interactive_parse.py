"""
What a booting-READY poll of the interactive wait spends outside HTTP: one measurement, in its own process.

Started by ``benchmarks/run.py`` (the interactive step), pinned as the trigger processes are. Reads the
notebook's ``/cells`` (with outputs) and ``/kernel/status`` replies once from the emulator, then times, in
this process, what the wait does with them on every such poll: ``json.loads`` of each body, the provider's
readers (``read_cells``, ``KernelStatus.from_reply``) and ``judge`` against the snapshot. Prints one JSON
line: microseconds per call (the best of 5 repeats of 2000 calls each) and the bodies' sizes.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import timeit
import urllib.request
from typing import Any


def post(url: str, token: str, context: ssl.SSLContext | None, body: dict[str, Any]) -> bytes:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60, context=context) as response:
        return response.read()


def best_us(stmt: Any, number: int = 2000) -> float:
    return min(timeit.repeat(stmt, number=number, repeat=5)) / number * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--url", required=True)
    parser.add_argument("--ca")
    parser.add_argument("--token", required=True)
    parser.add_argument("--notebook", required=True, help="owner/notebook")
    parser.add_argument("--snapshot", required=True, help="ExecutionSnapshot.to_json(), as JSON")
    args = parser.parse_args()

    from airflow_provider_datalore.notebook_api.cells import read_cells
    from airflow_provider_datalore.notebook_api.execution import ExecutionSnapshot, judge
    from airflow_provider_datalore.notebook_api.replies import KernelStatus

    context = ssl.create_default_context(cafile=args.ca) if args.ca else None
    owner, name = args.notebook.split("/")
    ref = {"notebookId": {"ownerId": owner, "id": name}}
    api = f"{args.url}/api/notebook/v1"
    cells_body = post(f"{api}/cells", args.token, context, {**ref, "includeOutputs": True})
    kernel_body = post(f"{api}/kernel/status", args.token, context, ref)
    snapshot = ExecutionSnapshot.from_json(json.loads(args.snapshot))
    payload, kernel_payload = json.loads(cells_body), json.loads(kernel_body)
    cells, kernel = read_cells(payload).cells, KernelStatus.from_reply(kernel_payload)
    result = {
        "cells_bytes": len(cells_body),
        "kernel_bytes": len(kernel_body),
        "cells_json_us": best_us(lambda: json.loads(cells_body)),
        "read_cells_us": best_us(lambda: read_cells(payload)),
        "judge_us": best_us(lambda: judge(snapshot, cells, kernel)),
        "kernel_json_us": best_us(lambda: json.loads(kernel_body)),
        "kernel_read_us": best_us(lambda: KernelStatus.from_reply(kernel_payload)),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
