"""The fields of a Run API reply, each read leniently: what a server sends within what the docs allow."""

from __future__ import annotations

import datetime
import logging
import re
from typing import TYPE_CHECKING

from airflow_provider_datalore.checks import MAX_RUN_ID_LENGTH, check_run_id
from airflow_provider_datalore.clipping import clip, show
from airflow_provider_datalore.exceptions import DataloreResponseError
from airflow_provider_datalore.urls import absolute_url, is_notebook_id

if TYPE_CHECKING:
    from airflow_provider_datalore.run_api.run import DataloreArtifact

log = logging.getLogger(__name__)

#: Characters of an artifact's name or path at most: longer is not a file a notebook run wrote.
MAX_ARTIFACT_TEXT = 2048
#: An epoch number at or above this is milliseconds, below it seconds: 10^11 seconds is the year 5138,
#: 10^11 milliseconds is March 1973, before Datalore existed.
EPOCH_MILLIS_FROM = 10**11
#: Malformed artifact entries named one by one in the log; the rest are counted.
ARTIFACT_WARNINGS = 5

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def reply_run_id(payload: object, where: str) -> str:
    """
    Return the ``runId`` a reply names, checked like a run id from a user.

    :param where: The reply, for the message, e.g. ``"reply to POST /api/run/v1/notebook"``.
    :raises DataloreResponseError: No ``runId``, or one that is not a run id (too long, ``..``, a newline).
    """
    value = payload.get("runId") if isinstance(payload, dict) else None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is None:
        raise DataloreResponseError(f"Datalore's {where} names no runId: {show(payload)}")
    try:
        return check_run_id(value)
    except ValueError:
        raise DataloreResponseError(
            f"Datalore's {where} has runId {show(value)}; expected a run id (one path segment of at most "
            f"{MAX_RUN_ID_LENGTH} printable characters): {show(payload)}"
        ) from None


def notebook_from_reply(user_id: object, notebook_id: object, where: str) -> str | None:
    """
    Return ``owner/notebook`` as a status reply names it, or None when it names none that is valid.

    The docs call ``userId`` only "Notebook user ID": it may be the person who started the run rather
    than the notebook's owner, so only a caller that knows no better (the sensor) relies on this.
    """
    if not isinstance(notebook_id, str) or not notebook_id:
        return None
    if "/" not in notebook_id and isinstance(user_id, str) and user_id:
        notebook_id = f"{user_id}/{notebook_id}"
    if is_notebook_id(notebook_id):
        return notebook_id
    log.debug(
        "Ignoring notebook %s in Datalore's status response %s: not a notebook id.", show(notebook_id), where
    )
    return None


def optional_bool(value: object, name: str, where: str) -> bool | None:
    """Return a boolean field (``true``/``"true"``), or None, logging anything else."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    log.warning("Ignoring %s=%s in Datalore's status response %s: not a boolean.", name, show(value), where)
    return None


def optional_str(value: object) -> str | None:
    """Return a text field clipped for display, or None."""
    if value is None:
        return None
    return clip(value) if isinstance(value, str) else show(value)


def parse_time(value: object, name: str, where: str) -> datetime.datetime | None:
    """
    Return a time field in UTC, or None; a value that is not a time is logged and left out, never fatal.

    ISO-8601 with ``Z`` or an offset and any number of fractional digits; or an epoch number (or a string
    of one): seconds below :data:`EPOCH_MILLIS_FROM`, milliseconds from it on.
    """
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, str) and _NUMBER.match(value.strip()):
            value = float(value.strip())
        if isinstance(value, (int, float)):
            seconds = value / 1000 if abs(value) >= EPOCH_MILLIS_FROM else value
            return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
        if isinstance(value, str):
            parsed = datetime.datetime.fromisoformat(value.strip())
            return parsed.astimezone(datetime.UTC) if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
        raise TypeError
    except (TypeError, ValueError, OverflowError, OSError):
        log.warning("Ignoring %s=%s in Datalore's status response %s: not a time.", name, show(value), where)
        return None


def parse_artifacts(value: object, base_url: str, where: str) -> tuple[DataloreArtifact, ...]:
    """
    Return the artifacts a reply lists; a malformed entry is dropped with a warning naming it.

    ``null``, ``[]`` and a missing field are no artifacts (a run with ``directFileStorageWrite: true``
    writes to the notebook's files and may list none). An entry needs a ``path`` (a non-empty string);
    ``name`` defaults to the path's last part.
    """
    from airflow_provider_datalore.run_api.run import DataloreArtifact

    if value is None:
        return ()
    if not isinstance(value, list):
        log.warning("Ignoring artifacts=%s in Datalore's status response %s: not a list.", show(value), where)
        return ()
    artifacts = []
    dropped = 0
    for item in value:
        name = item.get("name") if isinstance(item, dict) else None
        path = item.get("path") if isinstance(item, dict) else None
        if (
            isinstance(path, str)
            and path
            and isinstance(name, (str, type(None)))
            and max(len(path), len(name or "")) <= MAX_ARTIFACT_TEXT
        ):
            name = name or path.rsplit("/", 1)[-1]
            artifacts.append(DataloreArtifact(name=name, path=path, url=absolute_url(base_url, path)))
            continue
        dropped += 1
        if dropped <= ARTIFACT_WARNINGS:
            log.warning(
                "Ignoring artifact %s in Datalore's status response %s: expected "
                '{"name": ..., "path": ...} with a path of at most %d characters.',
                show(item),
                where,
                MAX_ARTIFACT_TEXT,
            )
    if dropped > ARTIFACT_WARNINGS:
        log.warning("Ignored %d more malformed artifacts in the same response.", dropped - ARTIFACT_WARNINGS)
    return tuple(artifacts)
