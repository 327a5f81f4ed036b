"""docs/reliability.md matches the tests: every fault-matrix case is in the table, and only those."""

from __future__ import annotations

import re
from pathlib import Path

from tests.integration.test_fault_matrix import CASES

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def test_every_case_is_documented_once():
    rows = re.findall(r"^\| `([a-z0-9-]+)` \|", DOC.read_text(), flags=re.MULTILINE)
    assert sorted(rows) == sorted(case.id for case in CASES)


def test_documented_counts_match_the_tests():
    text = DOC.read_text()
    for case in CASES:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{case.id}` |"))
        assert row.rstrip().endswith(f"| {case.starts} / {case.posts} |"), row
