"""
What a Datalore task reports to OpenLineage: the notebook, the Datalore run, its artifacts and files moved.

The OpenLineage provider is optional, and this module needs it: only the tasks'
``get_openlineage_facets_on_complete`` / ``get_openlineage_facets_on_failure`` import it, when the
OpenLineage provider calls them at the end of a task. A DAG file never does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
from airflow.providers.common.compat.openlineage.facet import Dataset, RunFacet
from airflow.providers.openlineage.extractors import OperatorLineage
from openlineage.client.facet_v2 import source_code_location_job

from airflow_provider_datalore import __version__

if TYPE_CHECKING:
    import datetime

    from airflow_provider_datalore.lineage_record import LineageRecord
    from airflow_provider_datalore.run_api.run import DataloreRun

#: The ``_producer`` of the facets this package makes: the package, at this version.
PRODUCER = f"https://pypi.org/project/airflow-provider-datalore/{__version__}/"
#: The run facet's name: custom facets are prefixed with the name of the project that defines them.
RUN_FACET = "dataloreRun"
#: The run facet of an interactive run (no run id: the notebook's own kernel computed its cells).
INTERACTIVE_RUN_FACET = "dataloreInteractiveRun"
#: The job facet that points at the notebook (the facet name the OpenLineage spec gives the type).
NOTEBOOK_FACET = "sourceCodeLocation"


@attrs.define
class DataloreRunFacet(RunFacet):
    """
    The Datalore run an Airflow task started or waited for; null where the task does not know.

    No JSON schema of this facet is published, so ``_schemaURL`` stays the spec's generic RunFacet
    definition, as for the Airflow OpenLineage provider's own facets.

    :param runId: The Datalore run id.
    :param notebookId: The notebook, ``owner/notebook``.
    :param success: Whether the run succeeded (known once the task has read the finished run).
    :param updateReport: Datalore's ``updateReport`` for the run, e.g. ``"on success"``.
    :param startTime: When the run started, ISO 8601.
    :param endTime: When the run ended, ISO 8601.
    """

    # camelCase, as in the OpenLineage spec's facets
    runId: str
    notebookId: str | None = None
    success: bool | None = None
    updateReport: str | None = None
    startTime: str | None = None
    endTime: str | None = None


@attrs.define
class DataloreInteractiveRunFacet(RunFacet):
    """
    The interactive run of a notebook an Airflow task started: the notebook's own cells, in its kernel.

    :param notebookId: The notebook, ``owner/notebook``.
    :param success: Whether every cell ran without error; null when the task did not wait or learn it.
    """

    notebookId: str
    success: bool | None = None


def task_lineage(record: LineageRecord | None) -> OperatorLineage:
    """
    Return a task's lineage from the record the task kept while it ran: no XCom, no connection read.

    The OpenLineage provider calls this after the task, by default in a forked child that cannot reach
    Airflow's supervisor; the record holds all it needs. A try that failed reports what it knew: the
    notebook, the run and how it ended, the files it had moved.

    :param record: The task's record; None when the task ended before it knew anything.
    """
    lineage: OperatorLineage = OperatorLineage()
    if record is None:
        return lineage
    if record.notebook_url:
        lineage.job_facets[NOTEBOOK_FACET] = source_code_location_job.SourceCodeLocationJobFacet(
            type="datalore", url=record.notebook_url
        )
    if record.run_id:
        lineage.run_facets[RUN_FACET] = _run_facet(record.run_id, record.run, record.notebook_id)
    if record.interactive and record.notebook_id:
        lineage.run_facets[INTERACTIVE_RUN_FACET] = DataloreInteractiveRunFacet(
            notebookId=record.notebook_id,
            success=None if record.interactive_state is None else record.interactive_state == "success",
            producer=PRODUCER,
        )
    lineage.inputs = [Dataset(namespace=d.namespace, name=d.name) for d in record.inputs]
    lineage.outputs = [Dataset(namespace=d.namespace, name=d.name) for d in record.outputs]
    return lineage


def _run_facet(run_id: str, run: DataloreRun | None, notebook_id: str | None) -> DataloreRunFacet:
    return DataloreRunFacet(
        runId=run_id,
        notebookId=run.notebook_id if run and run.notebook_id else notebook_id,
        success=run.success if run else None,
        updateReport=run.update_report if run else None,
        startTime=_iso(run.start_time if run else None),
        endTime=_iso(run.end_time if run else None),
        producer=PRODUCER,
    )


def _iso(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment else None
