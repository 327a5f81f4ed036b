"""
The Notebook API's cells, controls, kernel and report (Datalore 2026.2+), as methods of ``DataloreHook``.

Reads (cells, outputs, kernel status) are retried on transient failures; so are a control update
without ``run`` (setting a value twice is setting it once) and the interrupt (documented as idempotent).
A report publish is not: a lost answer leaves the publication's fate unknown, and the error says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.clipping import clip, show
from airflow_provider_datalore.exceptions import DataloreConflictError, DataloreResponseError
from airflow_provider_datalore.hooks.base import DataloreBaseHook, deadline_after
from airflow_provider_datalore.notebook_api.cells import CellListing, CellOutputs, read_cells
from airflow_provider_datalore.notebook_api.endpoints import (
    CELL_OUTPUTS,
    CELLS,
    CONTROL_UPDATE,
    KERNEL_INTERRUPT,
    KERNEL_STATUS,
    REPORT_PUBLISH,
    notebook_call,
)
from airflow_provider_datalore.notebook_api.execution import busy, judge
from airflow_provider_datalore.notebook_api.notebook import NotebookRef
from airflow_provider_datalore.notebook_api.replies import KernelStatus

if TYPE_CHECKING:
    from airflow_provider_datalore.notebook_api.execution import ExecutionSnapshot, Progress
    from airflow_provider_datalore.transport.calls import Call, Endpoint

#: The report types ``/report/publish`` takes, and its modes.
REPORT_TYPES = ("STATIC", "INTERACTIVE")
REPORT_MODES = ("CREATE", "UPDATE")


@dataclass(frozen=True, slots=True)
class PublishedReport:
    """
    A report publication, as ``/report/publish`` answers.

    :param report_id: ``reportId``.
    :param report_type: ``STATIC`` or ``INTERACTIVE``.
    :param mode: ``CREATE`` or ``UPDATE``: what was done.
    """

    report_id: str
    report_type: str
    mode: str

    @classmethod
    def from_reply(cls, payload: Any) -> PublishedReport:
        """
        Read a ``/report/publish`` reply.

        :raises DataloreResponseError: No string ``reportId``.
        """
        report_id = payload.get("reportId") if isinstance(payload, dict) else None
        if not isinstance(report_id, str) or not report_id.strip():
            raise DataloreResponseError(f"a report publish reply without a reportId: {show(payload, 120)}")
        return cls(
            clip(report_id, 200),
            clip(str(payload.get("type") or ""), 20),
            clip(str(payload.get("mode") or ""), 20),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the publication as the task pushes it to XCom."""
        return {"report_id": self.report_id, "type": self.report_type, "mode": self.mode}


def _interrupted(payload: Any) -> bool:
    return isinstance(payload, dict) and payload.get("interrupted") is True


class NotebookCellsMixin(DataloreBaseHook):
    """The Notebook API's cell, control, kernel and report methods; ``DataloreHook`` has them."""

    def list_cells(
        self, notebook_id: str, *, outputs: bool = False, worksheet: int = 0, timeout: float | None = None
    ) -> CellListing:
        """
        Return the cells of one worksheet, in order.

        :param notebook_id: ``"owner/notebook"`` or the notebook's URL.
        :param outputs: Also their execution statuses, counts, timing and outputs (``includeOutputs``;
            the reply can reach about 5 million characters, then later cells' outputs are left out).
        :param worksheet: The worksheet's index (0: the first).
        :param timeout: Seconds the call may take in all, retries included.
        """
        call, body = _cells(self.base_url, notebook_id, outputs, worksheet)
        return self._transport.request(call, body, read_cells, deadline=deadline_after(timeout))

    async def a_list_cells(
        self, notebook_id: str, *, outputs: bool = False, worksheet: int = 0, timeout: float | None = None
    ) -> CellListing:
        """Return the cells of one worksheet without blocking (the twin of :meth:`list_cells`)."""
        call, body = _cells((await self.a_get_settings()).base_url, notebook_id, outputs, worksheet)
        return await self._a_request(call, body, read_cells, deadline=deadline_after(timeout))

    def get_cell_outputs(
        self, notebook_id: str, cell_id: str, *, timeout: float | None = None
    ) -> CellOutputs:
        """
        Return one cell's execution status, outputs, stdout, stderr and error.

        :param notebook_id: ``"owner/notebook"`` or the notebook's URL.
        :param cell_id: The cell's ``cellId``.
        :param timeout: Seconds the call may take in all, retries included.
        """
        call, body = _about_cell(
            CELL_OUTPUTS,
            self.base_url,
            notebook_id,
            cell_id,
            "read the outputs of",
        )
        return self._transport.request(call, body, CellOutputs.from_reply, deadline=deadline_after(timeout))

    def update_control(
        self, notebook_id: str, cell_id: str, control: dict[str, Any], *, timeout: float | None = None
    ) -> None:
        """
        Set a control cell's widget, without running the cell: the kernel sees the value when it runs.

        :param notebook_id: ``"owner/notebook"`` or the notebook's URL.
        :param cell_id: The CONTROL cell's ``cellId``.
        :param control: The whole new ``control`` object, of the cell's own ``controlType``.
        :param timeout: Seconds the call may take in all, retries included.
        """
        call, body = _about_cell(CONTROL_UPDATE, self.base_url, notebook_id, cell_id, "set the control of")
        self._transport.request(
            call, {**body, "control": control, "run": False}, deadline=deadline_after(timeout)
        )

    def get_kernel_status(self, notebook_id: str, *, timeout: float | None = None) -> KernelStatus:
        """
        Return the state of the notebook's kernel (retried as a read).

        :param notebook_id: ``"owner/notebook"`` or the notebook's URL.
        :param timeout: Seconds the call may take in all, retries included.
        """
        call, body = _about_notebook(KERNEL_STATUS, self.base_url, notebook_id, "read the kernel status of")
        return self._transport.request(call, body, KernelStatus.from_reply, deadline=deadline_after(timeout))

    async def a_get_kernel_status(self, notebook_id: str, *, timeout: float | None = None) -> KernelStatus:
        """Return the state of the notebook's kernel without blocking (the twin of :meth:`get_kernel_status`)."""
        base_url = (await self.a_get_settings()).base_url
        call, body = _about_notebook(KERNEL_STATUS, base_url, notebook_id, "read the kernel status of")
        return await self._a_request(call, body, KernelStatus.from_reply, deadline=deadline_after(timeout))

    def get_interactive_progress(
        self, notebook_id: str, snapshot: ExecutionSnapshot, *, timeout: float | None = None
    ) -> Progress:
        """
        Return where an interactive run is: the kernel's status, and the cells only when it is not ``BUSY``.

        :param notebook_id: ``"owner/notebook"`` or the notebook's URL.
        :param snapshot: The cells' marks before the run started.
        :param timeout: Seconds each of the (one or two) reads may take in all.
        """
        kernel = self.get_kernel_status(notebook_id, timeout=timeout)
        if kernel.is_busy:
            return busy(snapshot, kernel)
        return judge(snapshot, self.list_cells(notebook_id, outputs=True, timeout=timeout).cells, kernel)

    async def a_get_interactive_progress(
        self, notebook_id: str, snapshot: ExecutionSnapshot, *, timeout: float | None = None
    ) -> Progress:
        """Return where an interactive run is, without blocking (the twin of :meth:`get_interactive_progress`)."""
        kernel = await self.a_get_kernel_status(notebook_id, timeout=timeout)
        if kernel.is_busy:
            return busy(snapshot, kernel)
        listing = await self.a_list_cells(notebook_id, outputs=True, timeout=timeout)
        return judge(snapshot, listing.cells, kernel)

    def interrupt_kernel(self, notebook_id: str, *, timeout: float | None = None) -> bool:
        """
        Interrupt the cell the notebook's kernel is running; return whether one was running.

        Idempotent (retried like a read). A notebook with no session (409 ``NOT_STARTED``) has nothing
        to interrupt: False, not an error.

        :param notebook_id: ``"owner/notebook"`` or the notebook's URL.
        :param timeout: Seconds the call may take in all, retries included.
        """
        call, body = _about_notebook(KERNEL_INTERRUPT, self.base_url, notebook_id, "interrupt the kernel of")
        try:
            return self._transport.request(call, body, _interrupted, deadline=deadline_after(timeout))
        except DataloreConflictError as err:
            if err.server_state == "NOT_STARTED":
                return False
            raise

    def publish_report(
        self, notebook_id: str, report_type: str, mode: str, *, timeout: float | None = None
    ) -> PublishedReport:
        """
        Publish the notebook's report: ``CREATE`` a new publication, or ``UPDATE`` the one of that type.

        Not retried once sent: a lost answer may mean a publication was made.

        :param notebook_id: ``"owner/notebook"`` or the notebook's URL.
        :param report_type: ``STATIC`` or ``INTERACTIVE``.
        :param mode: ``CREATE`` or ``UPDATE`` (which needs a publication of that type).
        :param timeout: Seconds the call may take in all.
        """
        if report_type not in REPORT_TYPES or mode not in REPORT_MODES:
            raise ValueError(
                f"report type {show(report_type)} and mode {show(mode)}: expected a type of "
                f"{', '.join(REPORT_TYPES)} and a mode of {', '.join(REPORT_MODES)}"
            )
        verb = f"publish the {report_type.lower()} report ({mode}) of"
        call, body = _about_notebook(REPORT_PUBLISH, self.base_url, notebook_id, verb)
        body = {**body, "type": report_type, "mode": mode}
        return self._transport.request(
            call, body, PublishedReport.from_reply, deadline=deadline_after(timeout)
        )


def _about_notebook(
    endpoint: Endpoint, base_url: str, notebook_id: str, verb: str
) -> tuple[Call, dict[str, Any]]:
    """Return the call and the body of a request about one notebook (checked: nothing sent if bad)."""
    notebook = NotebookRef.parse(notebook_id, base_url)
    return notebook_call(endpoint, base_url, notebook, verb), {"notebookId": notebook.to_json()}


def _about_cell(
    endpoint: Endpoint, base_url: str, notebook_id: str, cell_id: str, verb: str
) -> tuple[Call, dict[str, Any]]:
    if not isinstance(cell_id, str) or not cell_id.strip():
        raise ValueError(f"cell id {show(cell_id)} is not valid; expected a cell's cellId")
    call, body = _about_notebook(endpoint, base_url, notebook_id, f"{verb} cell {clip(cell_id, 80)} of")
    return call, {**body, "cellId": cell_id}


def _cells(base_url: str, notebook_id: str, outputs: bool, worksheet: int) -> tuple[Call, dict[str, Any]]:
    if not isinstance(worksheet, int) or isinstance(worksheet, bool) or worksheet < 0:
        raise ValueError(f"worksheet {show(worksheet)} is not valid; expected a worksheet index (0 or more)")
    what = "read the cells and outputs of" if outputs else "read the cells of"
    call, body = _about_notebook(CELLS, base_url, notebook_id, what)
    return call, {**body, "worksheetIndex": worksheet, "includeOutputs": bool(outputs)}
