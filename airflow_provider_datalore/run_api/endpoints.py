"""The Run API's endpoints, as the calls the hook makes: paths, and what each call is about."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import quote

from airflow_provider_datalore.checks import check_run_id
from airflow_provider_datalore.run_api import INTERACTIVE_PATH, RUN_PATH, STATUS_PATH
from airflow_provider_datalore.run_api.run import DataloreRun
from airflow_provider_datalore.transport.calls import Call
from airflow_provider_datalore.urls import notebook_url


def start_call(base_url: str, notebook_id: str) -> Call:
    """Return ``POST /api/run/v1/notebook`` for a checked notebook id."""
    return _notebook_call(base_url, RUN_PATH, "start a run of", notebook_id)


def interactive_call(base_url: str, notebook_id: str) -> Call:
    """Return ``POST /api/computation/v1/notebook`` for a checked notebook id."""
    return _notebook_call(base_url, INTERACTIVE_PATH, "run interactively", notebook_id)


def status_call(run_id: object, base_url: str | None = None, notebook_id: str | None = None) -> Call:
    """
    Return ``GET /api/run/v1/{runId}``, naming the run's notebook when the caller knows it.

    :raises ValueError: ``run_id`` is not a run id (nothing is sent).
    """
    return _status_call(check_run_id(run_id), base_url, notebook_id)


@functools.lru_cache(maxsize=4096)  # a trigger reads the same run every few seconds
def _status_call(run_id: str, base_url: str | None, notebook_id: str | None) -> Call:
    return Call(
        method="GET",
        path=STATUS_PATH.format(run_id=quote(run_id, safe="")),
        action=f"read the status of run {run_id}",
        notebook_id=notebook_id,
        notebook_url=notebook_url(base_url, notebook_id) if base_url and notebook_id else None,
        run_id=run_id,
    )


@functools.lru_cache(maxsize=4096)  # one per run read: a trigger's polls share it
def run_parser(call: Call, base_url: str) -> Any:
    """Return the function that reads a status reply of ``call`` as a :class:`DataloreRun`."""
    return functools.partial(
        DataloreRun.from_response, base_url=base_url, run_id=call.run_id, notebook_id=call.notebook_id
    )


def _notebook_call(base_url: str, path: str, verb: str, notebook_id: str) -> Call:
    return Call(
        method="POST",
        path=path,
        action=f"{verb} notebook {notebook_id}",
        notebook_id=notebook_id,
        notebook_url=notebook_url(base_url, notebook_id),
    )
