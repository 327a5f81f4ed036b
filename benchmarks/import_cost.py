"""
One import-cost measurement, in a fresh interpreter: ``python benchmarks/import_cost.py MODULE[,MODULE...]``.

Imports ``airflow.sdk`` first (a DAG processor or a task runner has it loaded before it reads a DAG file),
then times importing the given modules and counts the modules that this added to ``sys.modules``.
Prints one JSON line.
"""

from __future__ import annotations

import importlib
import json
import sys
import time

#: Libraries whose presence after the import says "imported at module top, not where used".
HEAVY = ("aiohttp", "requests", "urllib3", "tenacity", "asgiref", "requests_toolbelt", "yarl")


def main() -> int:
    targets = sys.argv[1].split(",")
    import airflow.sdk  # noqa: F401

    before = set(sys.modules)
    start = time.perf_counter()
    for name in targets:
        importlib.import_module(name)
    elapsed = time.perf_counter() - start
    new = set(sys.modules) - before
    print(
        json.dumps(
            {
                "targets": targets,
                "ms": elapsed * 1000,
                "new_modules": len(new),
                "heavy": sorted(name for name in HEAVY if name in new),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
