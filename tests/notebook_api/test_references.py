from __future__ import annotations

import pytest

from airflow_provider_datalore.exceptions import DataloreNotebookMismatchError
from airflow_provider_datalore.notebook_api.cells import read_cells
from airflow_provider_datalore.notebook_api.references import (
    MAX_OUTPUT_CELLS,
    check_output_cells,
    resolve_output_cells,
)
from tests.notebook_api.payloads import code, control, listing, markdown, slider

CELLS = read_cells(
    listing(
        markdown("md0", 0, "# Sales\nkpi = revenue per order"),
        code("imp", 1, "import pandas as pd\norders = pd.read_csv('orders.csv')"),
        control("ctl", 2, slider()),
        code("kpi", 3, "\n\nkpi = orders.total.mean()\nkpi"),
        code("cnt", 4, "rows = len(orders)\nrows"),
        code("sql", 5, "SELECT count(*) FROM orders", cell_type="SQL"),
    )
).cells


@pytest.mark.parametrize(
    ("references", "expected"),
    [
        (["kpi"], {"kpi": "kpi"}),  # an id wins over the text "kpi" that three sources contain
        (["rows = len"], {"rows = len": "cnt"}),
        (["orders.total", "SELECT count"], {"orders.total": "kpi", "SELECT count": "sql"}),
        (["ctl", "md0"], {"ctl": "ctl", "md0": "md0"}),  # any cell by id, even one without outputs
        (["revenue per order"], None),  # MARKDOWN sources are not searched
        ([], {}),
    ],
)
def test_references_resolve_to_cell_ids(references, expected):
    if expected is None:
        with pytest.raises(DataloreNotebookMismatchError):
            resolve_output_cells(references, CELLS)
    else:
        assert resolve_output_cells(references, CELLS) == expected


def test_a_text_in_two_cells_lists_them():
    with pytest.raises(DataloreNotebookMismatchError) as err:
        resolve_output_cells(["orders"], CELLS)
    assert str(err.value) == (
        "output_cells 'orders' is in the source of 4 cells: imp (CODE at position 1): 'import pandas as pd', "
        "kpi (CODE at position 3): 'kpi = orders.total.mean()', cnt (CODE at position 4): 'rows = len(orders)', "
        "sql (SQL at position 5): 'SELECT count(*) FROM orders'; give a cell id, or a text only one cell contains"
    )


def test_a_reference_that_matches_nothing_lists_the_cells():
    with pytest.raises(DataloreNotebookMismatchError) as err:
        resolve_output_cells(["nope"], CELLS[:2])
    assert str(err.value) == (
        "output_cells 'nope' matches no cell: no cell has that id and no CODE or SQL cell's source contains "
        "it; the notebook's cells: md0 (MARKDOWN at position 0): '# Sales', imp (CODE at position 1): "
        "'import pandas as pd'"
    )


def test_an_unknown_cell_id_in_an_empty_worksheet():
    with pytest.raises(DataloreNotebookMismatchError) as err:
        resolve_output_cells(["kN3xQ7"], [])
    assert str(err.value) == (
        "output_cells 'kN3xQ7' matches no cell: no cell has that id and no CODE or SQL cell's source "
        "contains it; the notebook's cells: none (the worksheet is empty)"
    )


def test_every_bad_reference_is_named_at_once_and_long_ones_are_clipped():
    many = read_cells(listing(*(code(f"c{i}", i, "x" * 500 + f"\n{i}") for i in range(12)))).cells
    with pytest.raises(DataloreNotebookMismatchError) as err:
        resolve_output_cells(["zzz", "y" * 300, "c3"], many)
    message = str(err.value)
    assert message.startswith("output_cells 'zzz' matches no cell")
    assert (
        "output_cells 'yyyyyyyyyyyyyyyyyyyyyyyyyyy...yyyyyyyyyyyyyyyyyyyyyyyyyyyy' matches no cell" in message
    )
    assert "c0 (CODE at position 0): 'xxxxxxxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxxxxxxx'" in message
    assert message.endswith(
        "c9 (CODE at position 9): 'xxxxxxxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxxxxxxx' and 2 more"
    )
    assert len(message) < 3_000
    assert isinstance(err.value, ValueError)


def test_a_server_controlled_first_line_cannot_forge_a_log_line():
    cells = read_cells(listing(code("a", 0, "x = 1\u2028INFO - forged"))).cells
    with pytest.raises(DataloreNotebookMismatchError) as err:
        resolve_output_cells(["nope"], cells)
    assert "\u2028" not in str(err.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, []), ("kpi", ["kpi"]), (["a", "b"], ["a", "b"]), (("a",), ["a"]), ([], [])],
)
def test_check_output_cells(value, expected):
    assert check_output_cells(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            5,
            "output_cells 5 is a int; expected a cell id or a text that one cell's source contains, or a list of them",
        ),
        ({"kpi": "x"}, "output_cells {'kpi': 'x'} is a dict; expected a cell id or a text"),
        ("", "output_cells has '', which is not a non-empty string; expected a cell id"),
        (["a", "  "], "output_cells has '  ', which is not a non-empty string"),
        (["a", 3], "output_cells has 3, which is not a non-empty string"),
        (["a", "a"], "output_cells has 'a' twice; expected each reference once"),
        (
            [str(i) for i in range(MAX_OUTPUT_CELLS + 1)],
            "output_cells names 51 cells; at most 50 (each adds up to 64 KiB to XCom)",
        ),
    ],
)
def test_check_output_cells_refuses(value, message):
    with pytest.raises(ValueError) as err:
        check_output_cells(value)
    assert str(err.value).startswith(message)
    assert not isinstance(err.value, DataloreNotebookMismatchError)
