"""
What a Datalore task reports to OpenLineage: the notebook, the Datalore run and the run's artifacts.

The OpenLineage provider is optional, and this module needs it: only the tasks'
``get_openlineage_facets_on_complete`` / ``get_openlineage_facets_on_failure`` import it, when the
OpenLineage provider calls them at the end of a task. A DAG file never does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
from airflow.providers.common.compat.openlineage.facet import Dataset, RunFacet
from airflow.providers.openlineage.extractors import OperatorLineage
from openlineage.client.facet_v2 import source_code_location_job

from airflow_provider_datalore import __version__
from airflow_provider_datalore.links.datalore import NOTEBOOK_URL_XCOM_KEY
from airflow_provider_datalore.run_api.run import DataloreRun
from airflow_provider_datalore.urls import normalize_notebook_id

if TYPE_CHECKING:
    import datetime

    from airflow_provider_datalore.waiting import DataloreRunWaitMixin

#: The ``_producer`` of the facets this package makes: the package, at this version.
PRODUCER = f"https://pypi.org/project/airflow-provider-datalore/{__version__}/"
#: The run facet's name: custom facets are prefixed with the name of the project that defines them.
RUN_FACET = "dataloreRun"
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


def task_lineage(
    task: DataloreRunWaitMixin, task_instance: Any, run_id: str | None = None
) -> OperatorLineage:
    """
    Return a task's lineage from what it left in XCom: its result, ``run_id`` and ``notebook_url``.

    XCom, not the operator instance: after a deferral, ``execute_complete`` ran on another instance.
    A try that failed leaves no result, and the lineage has what is known: the run id and the notebook.

    :param task: The run operator or the sensor (for the connection's base URL).
    :param task_instance: The task instance the OpenLineage provider passes.
    :param run_id: The run the task was given (the sensor's ``run_id``); else XCom ``run_id`` says.
    """
    result = _pull(task_instance, "return_value")
    run = DataloreRun.from_dict(result) if isinstance(result, dict) else None
    run_id = run.run_id if run else run_id or _pull(task_instance, "run_id")
    notebook_url = _pull(task_instance, NOTEBOOK_URL_XCOM_KEY)
    lineage: OperatorLineage = OperatorLineage()
    if notebook_url:
        lineage.job_facets[NOTEBOOK_FACET] = source_code_location_job.SourceCodeLocationJobFacet(
            type="datalore", url=notebook_url
        )
    if run_id:
        lineage.run_facets[RUN_FACET] = _run_facet(run_id, run, notebook_url, task)
    if run and run.artifacts:
        base_url = task.hook.base_url
        lineage.outputs = [Dataset(namespace=base_url, name=artifact.path) for artifact in run.artifacts]
    return lineage


def _run_facet(
    run_id: str, run: DataloreRun | None, notebook_url: str | None, task: DataloreRunWaitMixin
) -> DataloreRunFacet:
    notebook_id = run.notebook_id if run else None
    if notebook_id is None and notebook_url:
        notebook_id = normalize_notebook_id(notebook_url, base_url=task.hook.base_url)
    return DataloreRunFacet(
        runId=run_id,
        notebookId=notebook_id,
        success=run.success if run else None,
        updateReport=run.update_report if run else None,
        startTime=_iso(run.start_time if run else None),
        endTime=_iso(run.end_time if run else None),
        producer=PRODUCER,
    )


def _pull(task_instance: Any, key: str) -> Any:
    """Return this task instance's XCom ``key`` (this map index: a mapped task's instances differ)."""
    return task_instance.xcom_pull(
        task_ids=task_instance.task_id, key=key, map_indexes=task_instance.map_index
    )


def _iso(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment else None
