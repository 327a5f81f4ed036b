"""
Datalore's Notebook API (Datalore 2026.2 and later): files, cells, controls, kernel and report of one notebook.

- ``endpoints``: every documented endpoint, with what a call to it may do (the retry table's rows).
- ``notebook``: the ``notebookId`` object every request carries (``{"ownerId": ..., "id": ...}``).
- ``replies``: its replies read into values (``KernelStatus``).
- ``cells``: ``/cells``, ``/cell`` and ``/cell/outputs`` read into ``Cell``, ``CellListing``, ``CellOutputs``.
- ``outputs``: one cell's XCom entry (``cell_output_entry``), within a fixed size.
- ``references``: ``output_cells`` references (a cell id, or a text of one cell's source) to cell ids.
- ``controls``: parameters checked against the controls they set, as ``/cell/controls/update`` bodies.
- ``execution``: when an interactive run has finished (``ExecutionSnapshot``, ``judge``, ``Progress``).

Every endpoint is a POST under :data:`PREFIX`; whether one is safe to retry is its row's to say, never
the method's. ``endpoints`` and ``notebook`` import nothing from Airflow: the emulator can read them too.
"""

from __future__ import annotations

PREFIX = "/api/notebook/v1"
#: The code cells' working directory: where a notebook opens ``orders.csv`` from, and writes ``out.csv`` to.
DEFAULT_DIRECTORY = "data/notebook_files"
