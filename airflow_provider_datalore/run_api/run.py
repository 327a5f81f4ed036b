"""``DataloreRun``: the one place that decides what a run's status response means."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_datalore.clipping import clip, show
from airflow_provider_datalore.exceptions import DataloreResponseError
from airflow_provider_datalore.run_api import STATUS_FIELDS
from airflow_provider_datalore.run_api.reply_fields import (
    notebook_from_reply,
    optional_bool,
    optional_str,
    parse_artifacts,
    parse_time,
    reply_run_id,
)
from airflow_provider_datalore.urls import notebook_url

log = logging.getLogger(__name__)

KNOWN_FIELDS = frozenset(STATUS_FIELDS)


@dataclass(frozen=True, slots=True)
class DataloreArtifact:
    """One file a run produced: its name, its path on the server and its absolute URL."""

    name: str
    path: str
    url: str

    def to_dict(self) -> dict[str, str]:
        """Return the artifact as a JSON-safe dict."""
        return {"name": self.name, "path": self.path, "url": self.url}


@dataclass(frozen=True, slots=True)
class DataloreRun:
    """
    A notebook run as the status endpoint describes it.

    The run is finished when the response has no ``status``: while ``status`` is present the run is in
    progress, whatever ``success`` says. A finished run succeeded only when ``success`` is ``true``.
    """

    run_id: str
    notebook_id: str | None
    notebook_url: str | None
    status: str | None
    success: bool | None
    start_time: datetime.datetime | None = None
    end_time: datetime.datetime | None = None
    update_report: str | None = None
    direct_file_storage_write: bool | None = None
    read_only: bool | None = None
    artifacts: tuple[DataloreArtifact, ...] = field(default_factory=tuple)
    #: Whether the reply set ``endTime`` (even to something that is not a time, which ``end_time`` leaves
    #: out). Not compared: it only matters beside a ``status``, and ``state`` carries it through to_dict.
    ended: bool = field(default=False, compare=False)

    @property
    def is_finished(self) -> bool:
        """
        Whether the run has ended: the reply has no ``status``, or it has an ``endTime``.

        The docs say ``status`` is "only present while the run is in progress", yet their own example reply
        shows a status next to ``endTime`` and ``success``: a run that has an end time has ended.
        """
        return self.status is None or self.ended or self.end_time is not None

    @property
    def is_successful(self) -> bool:
        """Whether the run has ended and Datalore says it succeeded."""
        return self.is_finished and self.success is True

    @property
    def is_failed(self) -> bool:
        """Whether the run has ended without success."""
        return self.is_finished and self.success is not True

    @property
    def state(self) -> str:
        """One word for logs and events: ``running``, ``success`` or ``failed``."""
        if not self.is_finished:
            return "running"
        return "success" if self.is_successful else "failed"

    def __str__(self) -> str:
        return self.describe()

    def describe(self) -> str:
        """Return a one-line human description naming the run and the notebook."""
        where = f" of notebook {self.notebook_id} ({self.notebook_url})" if self.notebook_id else ""
        if not self.is_finished:
            return f"Datalore run {self.run_id}{where} is in progress (status {self.status!r})"
        if self.is_successful:
            return f"Datalore run {self.run_id}{where} succeeded"
        reason = "" if self.success is False else " (Datalore reported it finished without a success flag)"
        return f"Datalore run {self.run_id}{where} failed{reason}"

    @classmethod
    def from_response(
        cls,
        payload: object,
        *,
        base_url: str,
        run_id: str | None = None,
        notebook_id: str | None = None,
    ) -> DataloreRun:
        """
        Parse the status endpoint's JSON.

        Unknown fields and status values are tolerated and logged; see ``reply_fields`` for how times and
        artifacts are read.

        :param payload: The decoded JSON body.
        :param base_url: The connection's base URL, to make artifact and notebook URLs absolute.
        :param run_id: The run id that was asked for; the body's ``runId`` is used only without one.
        :param notebook_id: The notebook the run belongs to, when the caller knows it (the task that
            started it); else it is read from the reply's ``userId`` and ``notebookId``.
        :raises DataloreResponseError: The body is not a JSON object describing a run.
        """
        where = f"for run {run_id}" if run_id else "from Datalore"
        if not isinstance(payload, dict):
            raise DataloreResponseError(
                f"Datalore's status response {where} is a {type(payload).__name__}, not a JSON object: "
                f"{show(payload)}"
            )
        if KNOWN_FIELDS.isdisjoint(payload):
            raise DataloreResponseError(
                f"Datalore's status response {where} has none of the documented fields: {show(payload)}"
            )
        unknown = sorted(payload.keys() - KNOWN_FIELDS)
        if unknown:
            log.debug(
                "Datalore's status response %s has fields this provider does not know: %s",
                where,
                show(unknown),
            )
        if notebook_id is None:
            notebook_id = notebook_from_reply(payload.get("userId"), payload.get("notebookId"), where)
        status = payload.get("status")
        run = cls(
            run_id=run_id if run_id is not None else reply_run_id(payload, f"status response {where}"),
            notebook_id=notebook_id,
            notebook_url=notebook_url(base_url, notebook_id) if notebook_id else None,
            # Only its presence matters; the text is shown, so a megabyte of it is clipped.
            status=None if status is None else clip(status) if isinstance(status, str) else show(status),
            success=optional_bool(payload.get("success"), "success", where),
            start_time=parse_time(payload.get("startTime"), "startTime", where),
            end_time=parse_time(payload.get("endTime"), "endTime", where),
            update_report=optional_str(payload.get("updateReport")),
            direct_file_storage_write=optional_bool(
                payload.get("directFileStorageWrite"), "directFileStorageWrite", where
            ),
            read_only=optional_bool(payload.get("readOnly"), "readOnly", where),
            artifacts=parse_artifacts(payload.get("artifacts"), base_url, where),
            ended=payload.get("endTime") not in (None, ""),
        )
        if run.status is not None and run.ended:
            log.warning(
                "Datalore's status response %s has status %r and endTime %s: the run has ended, so "
                "success decides.",
                where,
                run.status,
                show(payload.get("endTime")),
            )
        return run

    def timeout_message(self, waited: float | None = None) -> str:
        """Return the message for a wait that ran out: the run itself goes on in Datalore."""
        of = f" of notebook {self.notebook_id}" if self.notebook_id else ""
        after = f" after {waited:g} s" if waited is not None else ""
        follow = f"; follow it at {self.notebook_url}." if self.notebook_url else "."
        return (
            f"Stopped waiting for Datalore run {self.run_id}{of}{after}: it is still in progress (status "
            f"{self.status!r}). The run goes on in Datalore (the Run API cannot stop a run){follow}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the run as a JSON-safe dict (for XCom and trigger events)."""
        return {
            "run_id": self.run_id,
            "notebook_id": self.notebook_id,
            "notebook_url": self.notebook_url,
            "state": self.state,
            "status": self.status,
            "success": self.success,
            "start_time": self.start_time.isoformat() if self.start_time else None,
            "end_time": self.end_time.isoformat() if self.end_time else None,
            "update_report": self.update_report,
            "direct_file_storage_write": self.direct_file_storage_write,
            "read_only": self.read_only,
            "artifacts": [artifact.to_dict() for artifact in self.artifacts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataloreRun:
        """Rebuild a run from :meth:`to_dict`'s output."""
        return cls(
            run_id=data["run_id"],
            notebook_id=data.get("notebook_id"),
            notebook_url=data.get("notebook_url"),
            status=data.get("status"),
            success=data.get("success"),
            start_time=_from_iso(data.get("start_time")),
            end_time=_from_iso(data.get("end_time")),
            update_report=data.get("update_report"),
            direct_file_storage_write=data.get("direct_file_storage_write"),
            read_only=data.get("read_only"),
            artifacts=tuple(DataloreArtifact(**artifact) for artifact in data.get("artifacts") or ()),
            # to_dict() keeps no "ended": a run with a status that had ended says so by its state.
            ended=data.get("status") is not None and data.get("state") in ("success", "failed"),
        )


def _from_iso(value: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value) if value else None
