"""One notebook's live parts for the Notebook API's cell, kernel and report endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.emulator.kernel import Kernel
from airflow_provider_datalore.emulator.reports import Publications

if TYPE_CHECKING:
    from airflow_provider_datalore.emulator.notebooks import Notebook


@dataclass(frozen=True)
class NotebookSession:
    """What the Notebook API's cell, kernel and report endpoints act on: one notebook's live parts."""

    notebook: Notebook
    kernel: Kernel
    reports: Publications

    @classmethod
    def of(cls, notebook: Notebook) -> NotebookSession:
        """Return a fresh session of a notebook: no kernel session, cells never run, its publications."""
        kernel = Kernel(notebook.id, notebook.cells, notebook.kernel_boot_polls)
        return cls(notebook, kernel, Publications(notebook.id, notebook.publications))

    def snapshot(self) -> dict[str, Any]:
        """Return the emulator's view of the notebook's kernel, cells and publications, for tests."""
        return {"notebook_id": self.notebook.id, "kernel": self.kernel.snapshot(), **self.reports.snapshot()}
