"""
``output_cells``: which cells' outputs a task hands to XCom, named by cell id or by a text of the source.

A reference is a cell's id (``kN3xQ7``, from the cell's URL or ``/cells``) or a text that exactly one
cell's source contains (``"kpi ="``). An id wins over a text: a reference equal to one cell's id is that
cell, whatever other sources contain. A text is looked for in the sources of CODE and SQL cells only, the
cells that have outputs: MARKDOWN never runs, and a CONTROL cell's source is ignored by Datalore (an id
still names either). The match is case-sensitive and on the source as the notebook has it.

Errors: a wrong argument (not a string or a list of strings, an empty or blank reference, the same
reference twice, more than :data:`MAX_OUTPUT_CELLS`) is a ``ValueError``; a reference that matches no
cell or several is a ``DataloreNotebookMismatchError`` (also a ``ValueError``) listing the cells.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_datalore.clipping import clip, show
from airflow_provider_datalore.exceptions import DataloreNotebookMismatchError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow_provider_datalore.notebook_api.cells import Cell

#: References at most: each adds an entry of up to 64 KiB to XCom (``outputs``).
MAX_OUTPUT_CELLS = 50
#: The cell types whose source a text reference is looked for in.
SEARCHED_CELL_TYPES = frozenset({"CODE", "SQL"})
#: Cells a "no cell matches" error lists.
LISTED_CELLS = 10
EXPECTED = "expected a cell id or a text that one cell's source contains, or a list of them"


def check_output_cells(value: object) -> list[str]:
    """
    Return the ``output_cells`` argument as a list of references; ``[]`` for None.

    :param value: One reference (a str) or a list (tuple) of them.
    :raises ValueError: Another type, an empty or blank reference, a duplicate, too many.
    """
    if value is None:
        return []
    references = [value] if isinstance(value, str) else value
    if not isinstance(references, (list, tuple)):
        raise ValueError(f"output_cells {show(value)} is a {type(value).__name__}; {EXPECTED}")
    if len(references) > MAX_OUTPUT_CELLS:
        raise ValueError(
            f"output_cells names {len(references)} cells; at most {MAX_OUTPUT_CELLS} (each adds up to 64 KiB to XCom)"
        )
    seen: set[str] = set()
    for reference in references:
        if not isinstance(reference, str) or not reference.strip():
            raise ValueError(
                f"output_cells has {show(reference)}, which is not a non-empty string; {EXPECTED}"
            )
        if reference in seen:
            raise ValueError(f"output_cells has {show(reference)} twice; expected each reference once")
        seen.add(reference)
    return list(references)


def resolve_output_cells(references: Sequence[str], cells: Sequence[Cell]) -> dict[str, str]:
    """
    Return ``{reference: cell id}`` for each reference as given, in their order.

    :param references: ``output_cells``, checked here too (:func:`check_output_cells`).
    :param cells: The notebook's cells (a ``/cells`` listing of either shape).
    :raises DataloreNotebookMismatchError: A reference matches no cell, or its text is in several cells'
        sources; one error names every such reference.
    """
    checked = check_output_cells(references)
    by_id = {cell.cell_id: cell for cell in cells}
    resolved: dict[str, str] = {}
    problems: list[str] = []
    for reference in checked:
        if reference in by_id:
            resolved[reference] = reference
            continue
        matches = [
            cell for cell in cells if cell.cell_type in SEARCHED_CELL_TYPES and reference in cell.source
        ]
        if len(matches) == 1:
            resolved[reference] = matches[0].cell_id
        elif matches:
            problems.append(
                f"output_cells {show(reference, 60)} is in the source of {len(matches)} cells: "
                f"{_list_cells(matches, LISTED_CELLS)}; give a cell id, or a text only one cell contains"
            )
        else:
            problems.append(
                f"output_cells {show(reference, 60)} matches no cell: no cell has that id and no CODE or SQL "
                f"cell's source contains it; the notebook's cells: {_list_cells(cells, LISTED_CELLS)}"
            )
    if problems:
        raise DataloreNotebookMismatchError("; ".join(problems))
    return resolved


def describe_cell(cell: Cell) -> str:
    """Return ``id (CODE at position 3): 'first line'`` for a message, clipped."""
    return f"{clip(cell.cell_id, 40)} ({clip(cell.cell_type, 20)} at position {cell.position}): {show(cell.first_line, 60)}"


def _list_cells(cells: Sequence[Cell], limit: int) -> str:
    if not cells:
        return "none (the worksheet is empty)"
    listed = ", ".join(describe_cell(cell) for cell in cells[:limit])
    return listed + (f" and {len(cells) - limit} more" if len(cells) > limit else "")
