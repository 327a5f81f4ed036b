"""
``make test-matrix``: the test suite on every Airflow line and Python we support, against the built wheel.

Each environment is a virtualenv made with uv from one constraints file, with the wheel in ``dist/``
installed (not the source tree): the suite runs in a copy of the repository without the package, so
``import airflow_provider_datalore`` can only find what ships. Environments run two at a time
(``--jobs``, ``MATRIX_JOBS``; the suites wait on I/O for much of their time), each into its own log,
and the summary names the Airflow line and Python of every failure.

Usage: ``python3 scripts/matrix.py [NAME ...]`` (default: all; ``--list`` prints the names).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "matrix"
VENVS = ROOT / ".venvs"
UV = os.environ.get("UV") or str(ROOT / ".venv-tools" / "bin" / "uv")
#: Seconds any one step (an install, one environment's tests) may take before it is killed.
TIMEOUT = 20 * 60

#: The hook, trigger and fault tests: what the lowest direct dependencies must pass.
CORE_TESTS = (
    "tests/hooks",
    "tests/triggers",
    "tests/sensors",
    "tests/operators",
    "tests/reliability",
    "tests/integration/test_fault_matrix.py",
)


@dataclass(frozen=True)
class Environment:
    airflow: str  # the Airflow line, X.Y
    python: str  # the Python, X.Y
    constraints: str  # under constraints/
    tests: tuple[str, ...] = ()  # empty: the whole suite
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or f"airflow-{self.airflow}-py{self.python}"


#: What CI runs; docs/support-matrix.md lists the same (a test keeps them equal).
MATRIX = (
    Environment("2.11", "3.11", "airflow-2.11.txt"),
    Environment("3.0", "3.11", "airflow-3.0.txt"),
    Environment("3.1", "3.11", "airflow-3.1.txt"),
    Environment("3.2", "3.11", "airflow-3.2.txt"),
    Environment("3.3", "3.11", "airflow-3.3.txt"),
    Environment("3.3", "3.13", "airflow-3.3.txt"),
    Environment("3.3", "3.11", "lowest-direct.txt", CORE_TESTS, "lowest-direct-py3.11"),
)


def find_python(version: str) -> str:
    """Return an interpreter of Python ``version`` (X.Y): on PATH, from pyenv, or uv's."""
    candidates = [shutil.which(f"python{version}"), shutil.which("python3")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        listed = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True).stdout
        for installed in sorted(listed.split(), reverse=True):
            if re.fullmatch(rf"{re.escape(version)}\.\d+", installed):
                prefix = subprocess.run([pyenv, "prefix", installed], capture_output=True, text=True)
                candidates.append(str(Path(prefix.stdout.strip()) / "bin" / "python"))
    found = subprocess.run([UV, "python", "find", version], capture_output=True, text=True)
    candidates.append(found.stdout.strip() if found.returncode == 0 else None)
    for candidate in candidates:
        if candidate and _minor_version(candidate) == version:
            return candidate
    raise SystemExit(
        f"matrix: no Python {version} found (looked on PATH as python{version}, in pyenv, and with "
        f"`uv python find`); install it (e.g. `uv python install {version}`) or choose environments by name"
    )


def _minor_version(python: str) -> str | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def wheel() -> Path:
    wheels = sorted((ROOT / "dist").glob("airflow_provider_datalore-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"matrix: expected one wheel in dist/ (run `make dist`), found {len(wheels)}")
    return wheels[0]


def make_venv(env: Environment, log) -> Path:
    """Create (or refresh) the environment: uv installs the wheel with its test extra, constrained."""
    venv = VENVS / env.name
    constraints = ROOT / "constraints" / env.constraints
    stamp = venv / ".constraints"
    if not stamp.exists() or stamp.read_text() != constraints.read_text():
        _run([UV, "venv", "--quiet", "--clear", "--python", find_python(env.python), str(venv)], log)
    install = [
        UV,
        "pip",
        "install",
        "--quiet",
        "--python",
        str(venv / "bin" / "python"),
        "-c",
        str(constraints),
    ]
    _run([*install, f"{wheel()}[test]", "--reinstall-package", "airflow-provider-datalore"], log)
    stamp.write_text(constraints.read_text())
    return venv


def test_tree() -> Path:
    """A copy of the repository's tracked files without the package: tests import the installed one."""
    tree = BUILD / "tree"
    shutil.rmtree(tree, ignore_errors=True)
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, files):
        if name.startswith("airflow_provider_datalore/") or not (ROOT / name).is_file():
            continue
        target = tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return tree


def run_tests(env: Environment, venv: Path, tree: Path, log) -> int:
    environ = {**os.environ, "DATALORE_TESTS_INSTALLED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    environ.pop("PYTHONPATH", None)
    environ.pop("DATALORE_TESTS_AIRFLOW_HOME", None)
    command = [str(venv / "bin" / "python"), "-m", "pytest", "-q", *env.tests]
    return _run(command, log, check=False, cwd=tree, env=environ)


def _run(command: list[str], log, check: bool = True, **kwargs) -> int:
    """Run a command into the log, in its own process group, killed whole after TIMEOUT seconds."""
    log.write(f"$ {' '.join(command)}\n")
    log.flush()
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
    )
    try:
        code = process.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise RuntimeError(f"`{' '.join(command[:4])} ...` killed after {TIMEOUT} s") from None
    if check and code:
        raise RuntimeError(f"`{' '.join(command[:4])} ...` exited with {code}")
    return code


def summary(log_path: Path) -> list[str]:
    """The pytest lines a reader needs: failures and errors, and the final count."""
    lines = log_path.read_text(errors="replace").splitlines()
    keep = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
    final = [line for line in lines if re.search(r"\b(passed|failed|error)s?\b.* in [\d.]+s", line)]
    return keep[:20] + final[-1:]


def run_environment(env: Environment, tree: Path) -> tuple[str, float, list[str]]:
    """Make the environment and run its tests: the outcome, the seconds it took, the lines to show."""
    log_path = BUILD / f"{env.name}.log"
    started = time.monotonic()
    print(f"matrix: {env.name} (constraints/{env.constraints}) ...", flush=True)
    with log_path.open("w") as log:
        try:
            code = run_tests(env, make_venv(env, log), tree, log)
            outcome, lines = ("passed" if code == 0 else "FAILED"), summary(log_path)
        except RuntimeError as exc:
            log.write(f"{exc}\n")
            outcome, lines = "ERROR", log_path.read_text(errors="replace").splitlines()[-15:]
    took = time.monotonic() - started
    print(f"matrix: {env.name}: {outcome} in {took:.0f} s: {lines[-1] if lines else ''}", flush=True)
    return outcome, took, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="environments to run (default: all)")
    parser.add_argument("--list", action="store_true", help="print the environments' names")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MATRIX_JOBS", "2")))
    args = parser.parse_args()
    if args.list:
        print("\n".join(env.name for env in MATRIX))
        return 0
    unknown = set(args.names) - {env.name for env in MATRIX}
    if unknown:
        raise SystemExit(
            f"matrix: unknown environment(s) {sorted(unknown)}; known: {[e.name for e in MATRIX]}"
        )
    chosen = [env for env in MATRIX if not args.names or env.name in args.names]
    BUILD.mkdir(parents=True, exist_ok=True)
    tree = test_tree()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = dict(zip(chosen, pool.map(lambda env: run_environment(env, tree), chosen), strict=True))
    print("\nmatrix summary (logs in build/matrix/):")
    for env, (outcome, took, lines) in results.items():
        print(f"  {env.name:24} {outcome:8} {took:5.0f} s")
        if outcome != "passed":
            print("\n".join(f"      {line}" for line in lines))
    return 0 if all(outcome == "passed" for outcome, _, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
