"""
What a Datalore task knows for its lineage, kept on the task as it runs, and the datasets' names.

The OpenLineage provider builds a task's events after the task has run, by default in a forked child of
the task process. On Airflow 3 that child cannot ask the supervisor for anything (an XCom or connection
read hangs until the provider kills it), so the task writes down everything its lineage needs while it
runs (where reading the connection is fine), and ``lineage.task_lineage`` only reads this record.

No OpenLineage import here: the tasks fill the record whether or not the OpenLineage provider is
installed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage

    from airflow_provider_datalore.run_api.run import DataloreRun

#: Object-store URI schemes, and the scheme the OpenLineage naming spec gives each namespace.
OBJECT_STORE_SCHEMES = {"s3": "s3", "s3a": "s3", "gs": "gs", "gcs": "gs"}


class DatasetName(NamedTuple):
    """An OpenLineage dataset's identity: its ``namespace`` (the data source) and ``name`` within it."""

    namespace: str
    name: str


@dataclass
class LineageRecord:
    """
    What a task's lineage says, as the task learnt it; read by the OpenLineage callbacks, no I/O.

    :param notebook_id: The notebook, ``owner/notebook``.
    :param notebook_url: The notebook's page (the job's ``sourceCodeLocation``).
    :param run_id: The Datalore run started or waited for.
    :param run: The run as last read (finished, or as the try last saw it).
    :param inputs: The datasets the task read (an upload's sources).
    :param outputs: The datasets the task wrote (a run's artifacts, files uploaded or downloaded).
    :param interactive: The task ran the notebook interactively (no run id, no artifacts).
    :param interactive_state: How the interactive run ended, ``success`` or ``failed``, once known.
    """

    notebook_id: str | None = None
    notebook_url: str | None = None
    run_id: str | None = None
    run: DataloreRun | None = None
    inputs: list[DatasetName] = field(default_factory=list)
    outputs: list[DatasetName] = field(default_factory=list)
    interactive: bool = False
    interactive_state: str | None = None


def file_dataset(uri: str) -> DatasetName:
    """
    Return the OpenLineage name of a file on Airflow's side, from its URI or local path.

    As the OpenLineage naming spec has it: ``s3://bucket/key`` is ``s3://bucket`` + ``key`` (``gs://``
    likewise, ``gcs://`` as ``gs://``), a local file is ``file`` + its absolute path, and any other
    store is ``scheme://authority`` + the path below it.
    """
    parts = urlsplit(uri)
    if parts.scheme in ("", "file", "local"):
        return DatasetName("file", parts.path if parts.scheme else uri)
    scheme = OBJECT_STORE_SCHEMES.get(parts.scheme, parts.scheme)
    return DatasetName(f"{scheme}://{parts.netloc}", parts.path.lstrip("/"))


def notebook_file_dataset(base_url: str, notebook_id: str, path: str) -> DatasetName:
    """
    Return the OpenLineage name of a notebook's file (``data/notebook_files/out.csv``) or of a run's artifact.

    As the run's artifacts already are: the Datalore server's base URL is the namespace, and the name is
    the path below it, ``/notebook/<owner>/<notebook>/<file path>``; an artifact's path
    (``/notebook/<owner>/<notebook>/artifacts/<run>/<name>``) is its name as it is, so a downloaded
    artifact is the same dataset as the run's output.
    """
    if path.startswith("/"):
        return DatasetName(base_url, path)
    return DatasetName(base_url, f"/notebook/{notebook_id}/{path}")


class DataloreLineageMixin:
    """
    The record a task keeps for its lineage, and the OpenLineage callbacks that read only it.

    Each task sets ``_lineage`` to a fresh record when a try starts (or, resumed after a deferral on a
    new instance, lets :meth:`lineage_record` make one) and fills it as it learns.
    """

    _lineage: LineageRecord | None = None

    def lineage_record(self) -> LineageRecord:
        """Return this try's record, made by :meth:`new_lineage_record` if the try has none yet."""
        if self._lineage is None:
            self._lineage = self.new_lineage_record()
        return self._lineage

    def new_lineage_record(self) -> LineageRecord:
        """Return the record of a try that has not made one (a task resumed after a deferral)."""
        return LineageRecord()

    def get_openlineage_facets_on_complete(self, task_instance: object) -> OperatorLineage:
        """Report what the task did to OpenLineage, from its record alone (see ``lineage.task_lineage``)."""
        from airflow_provider_datalore.lineage import task_lineage

        return task_lineage(self._lineage)

    def get_openlineage_facets_on_failure(self, task_instance: object) -> OperatorLineage:
        """Report what the failed try knew to OpenLineage, from its record alone."""
        from airflow_provider_datalore.lineage import task_lineage

        return task_lineage(self._lineage)
