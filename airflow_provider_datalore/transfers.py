"""
What the file operators and the run operator share: sources found, downloads planned, files moved.

Each step that can fail on bad input fails before any file moves: every source is found, every notebook
path and glob is resolved and every destination name is decided first, then the files are transferred.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.clipping import show
from airflow_provider_datalore.notebook_api.files import (
    ARTIFACTS_NOT_SERVED,
    GLOB_CHARS,
    check_file_path,
    is_artifact_path,
    is_glob,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context, ObjectStoragePath

    from airflow_provider_datalore.hooks.datalore import DataloreHook

#: The key of the downloads' entries in an asset event's ``extra``.
DOWNLOADS_EXTRA_KEY = "datalore_downloads"


def as_list(value: Any, what: str) -> list[Any]:
    """Return one value or a list of them as a list; ``ValueError`` for nothing at all."""
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items or any(item is None for item in items):
        raise ValueError(
            f"{what} {show(value)} is not valid; expected a path, a URI, a glob or a list of them"
        )
    return items


def find_sources(source: Any, conn_id: str | None) -> list[ObjectStoragePath]:
    """
    Return the files an upload's ``source`` names: paths, URIs or globs (``s3://b/in/*.csv``), or a list.

    :raises ValueError: A source that does not exist, a glob that matches nothing, a folder, or two files
        with the same name (they would overwrite each other in the notebook).
    """
    from airflow_provider_datalore.storage import storage_path

    found: list[ObjectStoragePath] = []
    for item in as_list(source, "source"):
        text = os.fspath(item) if isinstance(item, os.PathLike) else item
        if isinstance(text, str) and is_glob(text):
            root, pattern = _split_glob(text)
            matches = sorted(
                (p for p in storage_path(root, conn_id, what="source").glob(pattern) if p.is_file()), key=str
            )
            if not matches:
                raise ValueError(f"source glob {show(text)} matches no file (in {show(root)})")
            found.extend(matches)
            continue
        path = storage_path(item, conn_id, what="source")
        if not path.is_file():
            state = "is a folder; give a glob such as folder/*" if path.exists() else "does not exist"
            raise ValueError(f"source {show(str(path))} {state}")
        found.append(path)
    _no_two_named_alike([p.name for p in found], [str(p) for p in found], "sources")
    return found


def _split_glob(text: str) -> tuple[str, str]:
    """Split ``s3://b/in/*.csv`` into the folder before the first wildcard and the pattern below it."""
    first = min(text.index(ch) for ch in GLOB_CHARS if ch in text)
    cut = text.rfind("/", 0, first)
    if cut < 0 or text[:cut].endswith(":/"):
        raise ValueError(
            f"source glob {show(text)} has a wildcard in its first segment; start it with a folder"
        )
    return text[:cut] or "/", text[cut + 1 :]


@dataclass(frozen=True, slots=True)
class PlannedDownload:
    """One notebook file and where below the destination folder it goes."""

    source: str
    relative: str


def plan_downloads(
    hook: DataloreHook, notebook_id: str, paths: Any, *, keep_paths: bool
) -> list[PlannedDownload]:
    """
    Resolve notebook paths and globs to files, and name each one's place below the destination.

    Flat (default): ``<destination>/<file name>``; with ``keep_paths``: ``<destination>/<notebook path>``.

    :raises ValueError: A bad path, a glob matching nothing, or two files that would land on one name.
    """
    sources: list[str] = []
    for item in as_list(paths, "paths"):
        path = check_file_path(item)
        if is_glob(path) and not is_artifact_path(path):
            sources.extend(entry.path for entry in hook.glob_files(notebook_id, path))
        else:
            sources.append(path)
    sources = list(dict.fromkeys(sources))  # a file matched twice is fetched once
    planned = [PlannedDownload(s, s if keep_paths else s.rsplit("/", 1)[-1]) for s in sources]
    _no_two_named_alike([p.relative for p in planned], sources, "notebook files")
    return planned


def download_files(
    hook: DataloreHook,
    notebook_id: str,
    planned: list[PlannedDownload],
    destination: ObjectStoragePath,
    *,
    max_bytes: int | None = None,
    timeout: float | None = None,
) -> list[dict[str, Any]]:
    """Download each planned file below ``destination``; return the entries for XCom."""
    from airflow_provider_datalore.exceptions import DataloreNotFoundError
    from airflow_provider_datalore.storage import public_uri, within

    entries = []
    for item in planned:
        target = within(destination, item.relative)
        try:
            done = hook.download_file(notebook_id, item.source, target, max_bytes=max_bytes, timeout=timeout)
        except DataloreNotFoundError as err:
            if not is_artifact_path(item.source):
                raise
            raise DataloreNotFoundError(
                f"{err} If the artifact exists, {ARTIFACTS_NOT_SERVED}.",
                http_status=err.http_status,
                endpoint=err.endpoint,
                server_message=err.server_message,
            ) from None
        entries.append(
            {
                "source": item.source,
                "destination": public_uri(target),
                "size": done.size,
                "sha256": done.sha256,
            }
        )
    return entries


def record_downloads_on_outlets(context: Context, outlets: list[Any], entries: list[dict[str, Any]]) -> None:
    """Put the downloads' entries into the ``extra`` of the task's asset events (Airflow 3; 2.11's datasets)."""
    if not outlets or not entries:
        return
    events = context.get("outlet_events")
    if events is None:
        return
    for outlet in outlets:
        try:
            extra: Any = events[outlet].extra
            extra[DOWNLOADS_EXTRA_KEY] = entries
        except (
            KeyError,
            TypeError,
            AttributeError,
        ):  # an outlet that is not an asset (a plain lineage object)
            continue


def _no_two_named_alike(names: list[str], sources: list[str], what: str) -> None:
    seen: dict[str, str] = {}
    for name, source in zip(names, sources, strict=True):
        if name in seen:
            raise ValueError(
                f"{what} {show(seen[name])} and {show(source)} would both be written as {show(name)}; "
                "rename one, narrow the glob, or (for downloads) set keep_paths=True"
            )
        seen[name] = source


# -- the run operator's downloads (download_paths=, download_to=) ---------------------------------------


def check_download_options(operator: Any) -> None:
    """
    Refuse the run operator's download options when they cannot work, before any run starts.

    :raises ValueError: ``download_to`` without anything to download or the other way round, a bad path
        or destination, or downloads with ``wait_for_termination=False`` (nothing to download after).
    """
    from airflow_provider_datalore.checks import check_bool
    from airflow_provider_datalore.storage import storage_path

    artifacts = check_bool("download_artifacts", operator.download_artifacts)
    if operator.download_to is None:
        given = "download_paths" if operator.download_paths is not None else "download_artifacts"
        raise ValueError(f"{given} is set but not download_to: set the folder the files go to")
    if operator.download_paths is None and not artifacts:
        raise ValueError(
            "download_to is set but not download_paths or download_artifacts: say what to download"
        )
    if not operator.wait_for_termination:
        raise ValueError(
            "downloads need wait_for_termination=True: the files are downloaded once the run has succeeded"
        )
    if operator.download_paths is not None:
        for item in as_list(operator.download_paths, "download_paths"):
            check_file_path(item)
    storage_path(operator.download_to, operator.download_conn_id, what="download_to")


def download_after_run(operator: Any, context: Context, result: dict[str, Any]) -> list[dict[str, Any]]:
    """
    Download ``download_paths`` of a run that has succeeded to ``download_to``; return the entries.

    A download that fails after a successful run must not run the notebook again: where Airflow cannot
    re-attach a retried try to the run (below 3.3, no task state store), the error is an
    ``AirflowFailException`` that says how to fetch the files alone.
    """
    from airflow_provider_datalore.exceptions import DataloreDownloadAfterRunError, DataloreError
    from airflow_provider_datalore.storage import storage_path

    notebook_id = operator._notebook_id
    try:
        destination = storage_path(operator.download_to, operator.download_conn_id, what="download_to")
        planned = []
        if operator.download_paths is not None:
            planned = plan_downloads(operator.hook, notebook_id, operator.download_paths, keep_paths=False)
        if operator.download_artifacts:
            planned = _with_artifacts(planned, result.get("artifacts") or [])
        entries = download_files(operator.hook, notebook_id, planned, destination)
    except (DataloreError, ValueError, OSError) as err:
        if context.get("task_state_store") is not None:
            raise  # a retried try re-attaches to the succeeded run and downloads again, without a new run
        raise DataloreDownloadAfterRunError(
            f"Datalore run {result.get('run_id')} of notebook {notebook_id} succeeded, but downloading its "
            f"files failed: {err} The task is not retried, since a retry would run the notebook again; "
            "fetch the files with DataloreDownloadFilesOperator."
        ) from err
    record_downloads_on_outlets(context, list(operator.outlets or []), entries)
    return entries


def _with_artifacts(planned: list[PlannedDownload], artifacts: list[dict[str, Any]]) -> list[PlannedDownload]:
    """Add a run's artifacts (by their Run API ``path``) to the planned downloads, each under its file name."""
    more = [
        PlannedDownload(path, path.rsplit("/", 1)[-1])
        for path in (check_file_path(artifact.get("path")) for artifact in artifacts)
    ]
    every = planned + more
    _no_two_named_alike([p.relative for p in every], [p.source for p in every], "files")
    return every
