"""docs/reliability.md matches the tests: every fault-matrix case is in the table, and only those."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration import test_real_datalore
from tests.integration.test_fault_matrix import CASES
from tests.reliability import test_files_hostile, test_hostile, test_interactive_hostile

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def test_every_case_is_documented_once():
    fault_matrix = DOC.read_text().split("## Real servers: where the docs are silent", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9-]+)` \|", fault_matrix, flags=re.MULTILINE)
    assert sorted(rows) == sorted(case.id for case in CASES)


def test_documented_counts_match_the_tests():
    text = DOC.read_text()
    for case in CASES:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{case.id}` |"))
        assert row.rstrip().endswith(f"| {case.starts} / {case.posts} |"), row


def test_every_hostile_case_is_documented_once():
    """The "Hostile servers and input" table and tests/reliability/test_hostile.py list the same cases."""
    text = DOC.read_text()
    section = text.split("## Hostile servers and input", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.MULTILINE)
    tests = [
        name.removeprefix("test_").replace("_", "-") for name in dir(test_hostile) if name.startswith("test_")
    ]
    assert len(rows) == len(set(rows))
    assert sorted(rows) == sorted(tests)


def test_every_real_server_case_is_documented_once():
    """The "Real servers" table and tests/integration/test_real_datalore.py list the same cases."""
    section = DOC.read_text().split("## Real servers: where the docs are silent", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.MULTILINE)
    assert len(rows) == len(set(rows))
    assert sorted(rows) == sorted(case.id for case in test_real_datalore.CASES)


def documented_cases(heading: str, module) -> tuple[list[str], list[str]]:
    """Return the case ids of one table of the doc (below ``## heading``) and the tests of ``module``."""
    section = DOC.read_text().split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.MULTILINE)
    tests = [name.removeprefix("test_").replace("_", "-") for name in dir(module) if name.startswith("test_")]
    return rows, tests


@pytest.mark.parametrize(
    ("heading", "module"),
    [
        ("Files: hostile servers and bad input", test_files_hostile),
        ("Interactive runs: hostile servers and bad input", test_interactive_hostile),
    ],
    ids=["files", "interactive"],
)
def test_every_table_case_is_documented_once(heading, module):
    """Each table and its test module list the same cases, each once."""
    rows, tests = documented_cases(heading, module)
    assert len(rows) == len(set(rows))
    assert sorted(rows) == sorted(tests)
