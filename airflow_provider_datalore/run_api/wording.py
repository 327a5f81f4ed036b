"""The Run API's words for its client errors: a start names the notebook, a status read the run."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_datalore.transport.calls import Call


def run_api_wording(call: Call, status: int, conn_id: str, server: str) -> str | None:
    """Return the message for a 403 or 404 of a Run API call; None leaves other statuses to the wire."""
    starts = call.endpoint.may_start_work
    if status == 403:
        token = f"the API token of Airflow connection {conn_id!r}"
        if starts:
            what = (
                f"{token} has view-only access to notebook {call.notebook_id} (running it needs editor "
                "access), or its scope or the notebook it was made for does not cover this one"
            )
        else:
            what = f"{token} has no access to {call.subject}: its scope or the notebook it was made for does not cover it"
        return (
            f"Datalore refused to {call.action} ({call.where}, HTTP 403){server}: {what} (Datalore 2026.2 "
            "tokens can be limited to one notebook or to an API scope)."
        )
    if status == 404:
        if starts:
            what = (
                f"notebook {call.notebook_id} is not shared with the API token of Airflow connection "
                f"{conn_id!r}, or the notebook id is wrong (check {call.notebook_url})"
            )
        else:
            what = f"run {call.run_id} was not found (wrong run id, or not visible to this token)"
        return f"Datalore could not {call.action} ({call.where}, HTTP 404){server}: {what}."
    return None
