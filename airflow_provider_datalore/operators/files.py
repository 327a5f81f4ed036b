"""Operators that move files into and out of a Datalore notebook (Notebook API, Datalore 2026.2+)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

# A DAG file imports this module on every parse: only what defines the classes is imported here.
from airflow_provider_datalore.connection_form import DEFAULT_CONN_ID
from airflow_provider_datalore.lineage_record import (
    DataloreLineageMixin,
    DatasetName,
    LineageRecord,
    file_dataset,
    notebook_file_dataset,
)
from airflow_provider_datalore.links.datalore import NOTEBOOK_URL_XCOM_KEY, DataloreNotebookLink
from airflow_provider_datalore.notebook_api import DEFAULT_DIRECTORY
from airflow_provider_datalore.task_hook import DataloreTaskHookMixin

if TYPE_CHECKING:
    import datetime
    from collections.abc import Sequence

    from airflow.providers.common.compat.sdk import Context


class _DataloreFilesOperator(DataloreLineageMixin, DataloreTaskHookMixin, BaseOperator):
    """The hook, the checks and the lineage record (the files moved) that both file operators share."""

    operator_extra_links = (DataloreNotebookLink(),)
    ui_color = "#6B57FF"
    ui_fgcolor = "#FFFFFF"
    notebook_id: str
    transfer_timeout: datetime.timedelta | float | None

    def _notebook_file(self, path: str) -> DatasetName:
        """The OpenLineage name of one of the notebook's files (see ``lineage_record``)."""
        from airflow_provider_datalore.urls import normalize_notebook_id

        base_url = self.hook.base_url
        return notebook_file_dataset(
            base_url, normalize_notebook_id(self.notebook_id, base_url=base_url), path
        )

    def _start(self, context: Context) -> float | None:
        """Check the common arguments, push the notebook's URL; return the transfer timeout."""
        from airflow_provider_datalore.checks import check_seconds

        self._lineage = LineageRecord()
        timeout = None
        if self.transfer_timeout is not None:
            timeout = check_seconds("transfer_timeout", self.transfer_timeout)
        context["ti"].xcom_push(key=NOTEBOOK_URL_XCOM_KEY, value=self.hook.notebook_url(self.notebook_id))
        return timeout


class DataloreUploadFilesOperator(_DataloreFilesOperator):
    """
    Upload files into a Datalore notebook's files, streamed from any object store Airflow reads.

    Each file is read a block at a time as it is sent, never whole. A file already in the directory
    under the same name is replaced. The task returns (XCom) one entry per file:
    ``{"path": "<directory>/<name>", "size": <bytes>, "sha256": "<hex>"}``. Every source is found
    before the first upload: a missing source or a glob that matches nothing uploads nothing.

    :param notebook_id: ``"owner/notebook"`` or the notebook's URL. (templated)
    :param source: A local path, a URI (``s3://bucket/in/data.csv``, ``gs://...``, ``file://...``), a glob
        (``s3://bucket/in/*.csv``), or a list of them. (templated)
    :param directory: The notebook directory, by default ``data/notebook_files`` (the code cells' working
        directory: the notebook opens the file as ``data.csv``). (templated)
    :param source_conn_id: The Airflow connection of the source's store (``aws_default``...), if any.
    :param transfer_timeout: Seconds (or a ``timedelta``) one file's upload may take (default 1 hour).
    :param datalore_conn_id: The Airflow connection with the Datalore URL and API token.
    :param hook_params: The hook's retry settings: ``{"retry_limit": 5, "retry_delay": 1.0, ...}``.
    """

    template_fields: Sequence[str] = ("notebook_id", "source", "directory")

    def __init__(
        self,
        *,
        notebook_id: str,
        source: Any,
        directory: str = DEFAULT_DIRECTORY,
        source_conn_id: str | None = None,
        transfer_timeout: datetime.timedelta | float | None = None,
        datalore_conn_id: str = DEFAULT_CONN_ID,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.notebook_id = notebook_id
        self.source = source
        self.directory = directory
        self.source_conn_id = source_conn_id
        self.transfer_timeout = transfer_timeout
        self.datalore_conn_id = datalore_conn_id
        self.hook_params = hook_params

    def execute(self, context: Context) -> list[dict[str, Any]]:
        """Find every source, then upload each; return one entry per file."""
        from airflow_provider_datalore.notebook_api.files import check_notebook_path
        from airflow_provider_datalore.storage import public_uri
        from airflow_provider_datalore.transfers import find_sources

        timeout = self._start(context)
        directory = check_notebook_path(self.directory, "directory")
        sources = find_sources(self.source, self.source_conn_id)
        self.log.info("Uploading %d file(s) to %s of notebook %s.", len(sources), directory, self.notebook_id)

        record = self.lineage_record()
        entries = []
        for source in sources:
            entry = self.hook.upload_file(self.notebook_id, source, directory, timeout=timeout).to_dict()
            record.inputs.append(file_dataset(public_uri(source)))
            record.outputs.append(self._notebook_file(entry["path"]))
            entries.append(entry)
        return entries


class DataloreDownloadFilesOperator(_DataloreFilesOperator):
    """
    Download a Datalore notebook's files to a folder of any object store Airflow writes.

    Each file is streamed (bounded memory, no size cap unless ``max_bytes``) into a temporary file beside
    its final name and moved there once complete: a failure leaves nothing under the final name. A file
    lands flat in ``destination`` (``keep_paths=False``) or under its notebook path, never outside the
    folder. The task returns (XCom) one entry per file: ``{"source": "<notebook path>", "destination":
    "<the file's URI>", "size": <bytes>, "sha256": "<hex>"}``; the entries also go into the ``extra`` of
    the task's asset events (key ``datalore_downloads``) when it has ``outlets``.

    :param notebook_id: ``"owner/notebook"`` or the notebook's URL. (templated)
    :param paths: A notebook path (``data/notebook_files/out.csv``), a glob
        (``data/notebook_files/*.csv``, ``**`` for any folders), or a list of them. (templated)
    :param destination: A folder: a local path or a URI (``s3://bucket/results/``). (templated)
    :param destination_conn_id: The Airflow connection of the destination's store, if any.
    :param keep_paths: Keep each file's notebook path below ``destination`` (default: flat).
    :param max_bytes: Bytes one file may have; a larger one fails the task, writing nothing.
    :param transfer_timeout: Seconds (or a ``timedelta``) one file's download may take (default 1 hour).
    :param datalore_conn_id: The Airflow connection with the Datalore URL and API token.
    :param hook_params: The hook's retry settings: ``{"retry_limit": 5, "retry_delay": 1.0, ...}``.
    """

    template_fields: Sequence[str] = ("notebook_id", "paths", "destination", "destination_conn_id")

    def __init__(
        self,
        *,
        notebook_id: str,
        paths: Any,
        destination: Any,
        destination_conn_id: str | None = None,
        keep_paths: bool = False,
        max_bytes: int | None = None,
        transfer_timeout: datetime.timedelta | float | None = None,
        datalore_conn_id: str = DEFAULT_CONN_ID,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.notebook_id = notebook_id
        self.paths = paths
        self.destination = destination
        self.destination_conn_id = destination_conn_id
        self.keep_paths = keep_paths
        self.max_bytes = max_bytes
        self.transfer_timeout = transfer_timeout
        self.datalore_conn_id = datalore_conn_id
        self.hook_params = hook_params

    def execute(self, context: Context) -> list[dict[str, Any]]:
        """Resolve every path and glob, then download each file; return one entry per file."""
        from airflow_provider_datalore.checks import check_bool
        from airflow_provider_datalore.storage import storage_path
        from airflow_provider_datalore.transfers import (
            download_files,
            plan_downloads,
            record_downloads_on_outlets,
        )

        timeout = self._start(context)
        keep_paths = check_bool("keep_paths", self.keep_paths)
        destination = storage_path(self.destination, self.destination_conn_id, what="destination")
        planned = plan_downloads(self.hook, self.notebook_id, self.paths, keep_paths=keep_paths)
        self.log.info(
            "Downloading %d file(s) of notebook %s to %s.", len(planned), self.notebook_id, destination
        )
        entries = download_files(
            self.hook, self.notebook_id, planned, destination, max_bytes=self.max_bytes, timeout=timeout
        )
        record = self.lineage_record()
        record.inputs.extend(self._notebook_file(entry["source"]) for entry in entries)
        record.outputs.extend(file_dataset(entry["destination"]) for entry in entries)
        record_downloads_on_outlets(context, list(self.outlets or []), entries)
        return entries
