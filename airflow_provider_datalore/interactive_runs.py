"""
The interactive run's steps on the worker: everything checked before anything changes, the controls set,
and, once the wait is over, the outputs read, the report published or the computation interrupted.

The interactive operator calls these in order; the wait between (a sync loop or the trigger) decides
nothing of its own: :func:`~airflow_provider_datalore.notebook_api.execution.judge` does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow_provider_datalore.clipping import clip, show
from airflow_provider_datalore.exceptions import (
    DataloreBadRequestError,
    DataloreError,
    DataloreNotFoundError,
)
from airflow_provider_datalore.notebook_api.controls import plan_control_updates
from airflow_provider_datalore.notebook_api.execution import ExecutionSnapshot
from airflow_provider_datalore.notebook_api.outputs import cell_output_entry
from airflow_provider_datalore.notebook_api.references import resolve_output_cells

if TYPE_CHECKING:
    from airflow_provider_datalore.hooks.datalore import DataloreHook
    from airflow_provider_datalore.notebook_api.controls import ControlUpdate
    from airflow_provider_datalore.notebook_api.execution import Progress

log = logging.getLogger(__name__)

#: What ``publish_report`` takes: the Notebook API's report types.
PUBLISH_CHOICES = ("STATIC", "INTERACTIVE")


@dataclass
class PreparedRun:
    """
    What was read and decided before the start.

    :param snapshot: The cells' marks before the start (None when the task does not wait).
    :param updates: The control values to set, each checked against its control.
    :param references: ``{reference as given in output_cells: cell id}``.
    """

    snapshot: ExecutionSnapshot | None
    updates: list[ControlUpdate] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)


def check_publish_report(value: object) -> str | None:
    """Return ``publish_report`` checked: None, ``STATIC`` or ``INTERACTIVE``."""
    if value is None or value in PUBLISH_CHOICES:
        return value  # type: ignore[return-value]
    raise ValueError(
        f"publish_report {show(value)} is not valid; expected None, 'STATIC' or 'INTERACTIVE' (the report "
        "type to publish after a successful run)"
    )


def prepare(
    hook: DataloreHook, notebook_id: str, parameters: object, output_cells: list[str], *, wait: bool
) -> PreparedRun:
    """
    Read the notebook's cells once; check every parameter against its control and resolve every output
    cell. Raises before anything is changed or started.
    """

    if parameters is None and not output_cells and not wait:
        return PreparedRun(None)
    cells = hook.list_cells(notebook_id, outputs=wait).cells
    return PreparedRun(
        snapshot=ExecutionSnapshot.from_cells(cells) if wait else None,
        updates=plan_control_updates(parameters, cells) if parameters is not None else [],
        references=resolve_output_cells(output_cells, cells) if output_cells else {},
    )


def set_controls(hook: DataloreHook, notebook_id: str, updates: list[ControlUpdate]) -> None:
    """Set each control; if one fails, say which were set already (they keep their new values)."""
    done: list[str] = []
    for update in updates:
        try:
            hook.update_control(notebook_id, update.cell_id, update.control)
        except DataloreError as err:
            already = f"; already set: {', '.join(done)}" if done else "; none was set before it"
            raise DataloreError(
                f"{err} Setting control {update.variable!r} failed{already}. Nothing was run."
            ) from err
        done.append(repr(update.variable))
        log.info(
            "Set control %r (cell %s) of Datalore notebook %s.", update.variable, update.cell_id, notebook_id
        )


def cell_outputs(hook: DataloreHook, notebook_id: str, references: dict[str, str]) -> dict[str, Any]:
    """Return the XCom ``cell_outputs``: each referenced cell's outputs, keyed by the reference as given."""

    return {
        reference: cell_output_entry(hook.get_cell_outputs(notebook_id, cell_id))
        for reference, cell_id in references.items()
    }


def failure_message(hook: DataloreHook, notebook_id: str, progress: Progress, message: str) -> str:
    """Return the failed run's message with the failed cell's error and traceback (read from its outputs)."""
    if progress.failed_cell is None:
        return message
    try:
        outputs = hook.get_cell_outputs(notebook_id, progress.failed_cell.cell_id)
    except DataloreError as err:
        return f"{message} (its error could not be read: {clip(str(err), 300)})"
    return f"The interactive run of Datalore notebook {notebook_id} failed: {progress.with_failure(outputs).describe()}"


def publish(hook: DataloreHook, notebook_id: str, report_type: str) -> dict[str, Any]:
    """
    Publish the notebook's report: ``UPDATE`` the publication of that type, or ``CREATE`` one if there is none.

    The reference gives no way to list publications; it says "``UPDATE`` requires an existing publication
    of the selected type". So ``UPDATE`` is tried first, and a 400 or 404 to it (refused: nothing was
    published) is taken to mean there is none, and a publication is created.
    """
    try:
        published = hook.publish_report(notebook_id, report_type, "UPDATE")
    except (DataloreBadRequestError, DataloreNotFoundError) as err:
        log.info(
            "No %s report of notebook %s to update (%s); creating one.",
            report_type,
            notebook_id,
            clip(str(err), 200),
        )
        published = hook.publish_report(notebook_id, report_type, "CREATE")
    entry = published.to_dict()
    entry["url"] = report_url(hook.base_url, notebook_id, published.report_id, report_type)
    log.info(
        "Published the %s report of Datalore notebook %s: %s.",
        report_type.lower(),
        notebook_id,
        entry["url"] or entry["report_id"],
    )
    return entry


def report_url(base_url: str, notebook_id: str, report_id: str, report_type: str) -> str | None:
    """
    Return a published report's page, where its form is known: ``<base>/report/static/<owner>/<report id>``.

    Not in the Notebook API reference: the form of Datalore's public static report links. The interactive
    report's is not known: None (the notebook's link still works).
    """

    if report_type != "STATIC":
        return None
    owner = notebook_id.split("/", 1)[0]
    return f"{base_url.rstrip('/')}/report/static/{quote(owner, safe='')}/{quote(report_id, safe='')}"


def interrupt(hook: DataloreHook, notebook_id: str, why: str) -> str:
    """
    Interrupt the notebook's kernel and log it; return a sentence for the task's error.

    Never raises: the task is failing already, and its own error matters more.
    """
    try:
        interrupted = hook.interrupt_kernel(notebook_id)
    except Exception as err:
        log.warning(
            "Could not interrupt the kernel of Datalore notebook %s (%s): %s",
            notebook_id,
            why,
            clip(str(err), 300),
        )
        return f"Interrupting its computation failed ({clip(str(err), 200)}): it may still be running."
    if interrupted:
        log.warning("Interrupted the computation of Datalore notebook %s (%s).", notebook_id, why)
        return "Its computation was interrupted."
    log.info("Datalore notebook %s had no cell running to interrupt (%s).", notebook_id, why)
    return "No cell was running any more."
