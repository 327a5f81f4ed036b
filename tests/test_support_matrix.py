"""The support table and install commands (docs/support-matrix.md) say what CI runs: scripts/matrix.py and constraints/."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The page with the support table and the install command of each Airflow line.
SUPPORT_PAGE = ROOT / "docs" / "support-matrix.md"


def matrix_module():
    spec = importlib.util.spec_from_file_location("matrix", ROOT / "scripts" / "matrix.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("matrix", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def pinned(constraints: str, package: str) -> str:
    text = (ROOT / "constraints" / constraints).read_text()
    match = re.search(rf"^{re.escape(package)}==(\S+)", text, re.MULTILINE)
    assert match, f"{package} is not pinned in constraints/{constraints}"
    return match.group(1)


def support_table() -> list[list[str]]:
    """The rows of the support page's table, cells stripped of backticks."""
    section = SUPPORT_PAGE.read_text().split("# Supported versions", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip().strip("`") for cell in row.strip("|").split("|")] for row in rows]


def test_the_support_table_lists_exactly_what_ci_runs():
    matrix = matrix_module().MATRIX
    table = support_table()
    assert [row[0] for row in table] == [env.name for env in matrix]
    for row, env in zip(table, matrix, strict=True):
        name, airflow, python, constraints, tests = row
        assert constraints == f"constraints/{env.constraints}", name
        assert airflow == pinned(env.constraints, "apache-airflow"), name
        assert airflow.startswith(f"{env.airflow}."), name
        assert python == env.python, name
        assert (tests == "all") == (not env.tests), name


def test_every_airflow_line_has_its_install_command():
    page = SUPPORT_PAGE.read_text()
    lines = sorted({env.airflow for env in matrix_module().MATRIX if not env.label})
    commands = re.findall(r"^pip install .*$", page, re.MULTILINE)
    expected = [
        f'pip install "apache-airflow=={pinned(f"airflow-{line}.txt", "apache-airflow")}" '
        f"airflow-provider-datalore -c constraints/airflow-{line}.txt"
        for line in lines
    ]
    assert [command for command in commands if "-c constraints/" in command] == expected


def test_the_lowest_environment_has_the_declared_minimums():
    """constraints/lowest-direct.txt pins our direct dependencies at pyproject.toml's lower bounds."""
    import tomllib

    def version(text: str) -> tuple[int, ...]:
        numbers = tuple(int(part) for part in text.split("."))
        return numbers + (0,) * (3 - len(numbers))

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    minimums = dict(re.fullmatch(r"([\w.-]+)>=([\w.]+)", requirement).groups() for requirement in declared)
    # Where Airflow 3.3 asks for more (docs/support-matrix.md says so) the pin is above our bound; never below it.
    raised_by_airflow = {"apache-airflow": "3.3.2", "requests": "2.32.4"}
    for name, minimum in minimums.items():
        expected = raised_by_airflow.get(name, minimum)
        assert version(pinned("lowest-direct.txt", name)) == version(expected), name
