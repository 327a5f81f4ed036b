"""
``make lock``: re-pin ``constraints/airflow-X.Y.txt`` for every supported Airflow line, and
``constraints/lowest-direct.txt``, with ``uv pip compile``.

An Airflow release installs and runs only with the dependencies of its time: it sets few upper bounds,
so today's fastapi, cadwyn and pydantic install fine with Airflow 3.0-3.2 and then break every task at
start. So each line is resolved as a user installing its latest patch got it (``--exclude-newer``: the
end of the day after that release reached PyPI). Only the packages in NEWER may be newer, up to
NEWER_CUTOFF: the providers our pyproject.toml needs in versions released later (common-compat,
openlineage) and what those versions need in turn. Every date is fixed here, so the files only change
when this script or pyproject.toml does.

``lowest-direct.txt``: our direct dependencies at the minimums pyproject.toml declares
(``--resolution lowest-direct``) on the newest line, the rest as in that line's file.

Usage: ``python3 scripts/lock.py`` (uv: $UV, else on PATH, else .venv-tools/bin/uv).
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Oldest line first: its latest patch, and the day apache-airflow's files of it were uploaded to PyPI.
RELEASES = {
    "2.11": ("2.11.2", "2026-03-14"),
    "3.0": ("3.0.6", "2025-08-29"),
    "3.1": ("3.1.8", "2026-03-11"),
    "3.2": ("3.2.2", "2026-05-29"),
    "3.3": ("3.3.2", "2026-09-17"),
}
NEWER = (
    "apache-airflow-providers-common-compat",  # ours: released 2026-10
    "apache-airflow-providers-openlineage",  # the test extra's: 2.20 released 2026-08
    "apache-airflow-providers-common-sql",  # needed by openlineage 2.20
    "openlineage-integration-common",  # needed by openlineage 2.20
    "openlineage-python",  # needed by openlineage 2.20 and openlineage-integration-common
)
NEWER_CUTOFF = "2026-11-28T00:00:00Z"  # move it on to take newer versions of NEWER
PYTHON = "3.11"  # the lowest we support


def find_uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv") or str(ROOT / ".venv-tools" / "bin" / "uv")
    if not shutil.which(uv):
        raise SystemExit("lock: no uv: set UV, put uv on PATH, or run `make lock` (it makes .venv-tools)")
    return uv


def cutoff(day: str) -> str:
    """The end of the day after ``day``, UTC."""
    return f"{datetime.date.fromisoformat(day) + datetime.timedelta(days=2)}T00:00:00Z"


def lock(uv: str, name: str, airflow: str, released: str, *options: str, extras: str = "test,lint") -> None:
    """Write constraints/``name``: ``apache-airflow==airflow`` and ``.[extras]`` as of ``released``."""
    print(f"lock: constraints/{name}: apache-airflow=={airflow} as of {cutoff(released)}", flush=True)
    # Read from stdin and written to stdout: uv would prefer the pins of an existing --output-file.
    pins = subprocess.run(
        [uv, "pip", "compile", "-", "--quiet", "--no-header", "--no-annotate",
         "--no-emit-package", "airflow-provider-datalore", "--python-version", PYTHON,
         "--exclude-newer", cutoff(released),
         *(f"--exclude-newer-package={package}={NEWER_CUTOFF}" for package in NEWER), *options],
        input=f".[{extras}]\napache-airflow=={airflow}\n", stdout=subprocess.PIPE, text=True, cwd=ROOT,
        check=True,
    ).stdout  # fmt: skip
    header = (
        f"# Made by `make lock` (scripts/lock.py): apache-airflow=={airflow} and .[{extras}]"
        f" for Python {PYTHON},\n# as of {cutoff(released)} (the packages in its NEWER: {NEWER_CUTOFF})"
        f" {' '.join(options)}"
    )
    (ROOT / "constraints" / name).write_text(header.rstrip() + "\n" + pins)


def main() -> int:
    uv = find_uv()
    newest = list(RELEASES)[-1]
    try:
        for line, (airflow, released) in RELEASES.items():
            # The newest line is tested on Python 3.13 too: --universal also pins what 3.12+ needs. Its
            # file also pins what only the development environment installs (the Makefile's DEV_INSTALL):
            # the production-topology suite's extra (make test-topology runs on it) and the S3 tests' one.
            options = ["--universal"] if line == newest else []
            extras = "test,lint,topology,s3" if line == newest else "test,lint"
            lock(uv, f"airflow-{line}.txt", airflow, released, *options, extras=extras)
        lock(uv, "lowest-direct.txt", *RELEASES[newest], "--resolution", "lowest-direct")
    except subprocess.CalledProcessError as exc:
        print(f"lock: uv failed ({exc.returncode}): the files after it are unchanged", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
