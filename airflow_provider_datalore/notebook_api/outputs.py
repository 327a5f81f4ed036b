"""
What an interactive run hands to XCom for one cell: its outputs, cut to a size the metadata database holds.

XCom values live in Airflow's metadata database, and a task's ``cell_outputs`` holds one entry per
``output_cells`` reference (at most :data:`references.MAX_OUTPUT_CELLS`). The budget of one entry:

- every text (``value``, the error's message and traceback, ``stdout``, ``stderr``, each output's
  ``text``) is cut to its first :data:`MAX_TEXT_CHARS` characters;
- all its texts together hold at most :data:`MAX_ENTRY_CHARS` characters, given out in this order:
  ``value``, error message, traceback, ``stdout``, ``stderr``, then the outputs in order (a text that
  finds the budget spent becomes ``""``; a binary output's ``None`` stays ``None``);
- at most :data:`MAX_OUTPUTS` outputs (the first ones) are kept.

So an entry's JSON stays under 64 KiB when the texts are ASCII (``json.dumps`` escapes other characters,
up to 12 bytes for one). Cuts are by characters, at the same place every time, with no marker added:
``truncated`` says that something was cut, by the server (its ``truncated``/``*Truncated`` flags) or here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_datalore.notebook_api.cells import CellOutputs

#: Characters of one text at most: the server's own cut of stdout, stderr and tracebacks.
MAX_TEXT_CHARS = 10_000
#: Characters of all of one entry's texts together.
MAX_ENTRY_CHARS = 56_000
#: Outputs of one entry at most.
MAX_OUTPUTS = 50
#: The output types whose text is a cell's value.
VALUE_OUTPUT_TYPES = frozenset({"LAST_EXPRESSION", "TEXT"})


class _Budget:
    """Characters left for an entry's texts; each ``take`` cuts one text and notes whether it cut."""

    def __init__(self, total: int, per_text: int) -> None:
        self.left = total
        self.per_text = per_text
        self.cut = False

    def take(self, text: str | None) -> str | None:
        if text is None:
            return None
        kept = text[: min(self.per_text, self.left)]
        self.left -= len(kept)
        if len(kept) < len(text):
            self.cut = True
        return kept


def cell_value(outputs: CellOutputs) -> tuple[str | None, bool]:
    """
    Return the cell's value, the text of its last ``LAST_EXPRESSION`` or ``TEXT`` output without one
    trailing newline, and whether the server cut that output; ``(None, False)`` when it has none.
    """
    for output in reversed(outputs.outputs):
        if output.output_type in VALUE_OUTPUT_TYPES and output.text is not None:
            text = output.text
            return (text[:-1] if text.endswith("\n") else text), output.truncated
    return None, False


def cell_output_entry(
    outputs: CellOutputs,
    *,
    max_chars: int = MAX_TEXT_CHARS,
    max_entry_chars: int = MAX_ENTRY_CHARS,
    max_outputs: int = MAX_OUTPUTS,
) -> dict[str, Any]:
    """
    Return one cell's XCom entry (JSON-safe)::

        {"cell_id": str, "status": str | None, "execution_count": int | None,
         "outputs": [{"type": str, "text": str | None, "truncated": bool}, ...],
         "stdout": str | None, "stderr": str | None,
         "error": None | {"message": str | None, "traceback": str | None},
         "truncated": bool, "value": str | None}

    :param outputs: The cell's ``/cell/outputs`` reply.
    :param max_chars: Characters of one text at most.
    :param max_entry_chars: Characters of all texts together at most.
    :param max_outputs: Outputs kept at most.
    """
    budget = _Budget(max_entry_chars, max_chars)
    raw_value, value_cut = cell_value(outputs)
    value = budget.take(raw_value)
    error = None
    if outputs.status == "ERROR" or outputs.error_message is not None or outputs.error_traceback is not None:
        error = {
            "message": budget.take(outputs.error_message),
            "traceback": budget.take(outputs.error_traceback),
        }
    stdout = budget.take(outputs.stdout)
    stderr = budget.take(outputs.stderr)
    listed = [
        {
            "type": output.output_type,
            "text": (text := budget.take(output.text)),
            "truncated": output.truncated or text != output.text,
        }
        for output in outputs.outputs[:max_outputs]
    ]
    truncated = (
        budget.cut
        or value_cut
        or len(outputs.outputs) > max_outputs
        or any(output.truncated for output in outputs.outputs)
        or outputs.stdout_truncated
        or outputs.stderr_truncated
        or outputs.error_traceback_truncated
    )
    return {
        "cell_id": outputs.cell_id,
        "status": outputs.status,
        "execution_count": outputs.execution_count,
        "outputs": listed,
        "stdout": stdout,
        "stderr": stderr,
        "error": error,
        "truncated": truncated,
        "value": value,
    }
