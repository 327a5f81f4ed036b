"""Status replies as a real Datalore may send them: per-notebook settings over real HTTP."""

from __future__ import annotations

import datetime
import re
from datetime import UTC

import pytest

from airflow_provider_datalore.emulator.status_reply import format_time

NB = "o/nb"
#: 2026-11-26T10:00:00.125Z: a fraction that binary floating point holds exactly.
INSTANT = datetime.datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC).timestamp() + 0.125


def test_final_status_is_sent_beside_end_time_and_success(serve_json):
    emulator, client = serve_json(
        [{"id": NB, "polls": 1, "final_status": "example", "time_format": "epoch_ms"}]
    )
    run_id = client.start_id(NB)

    running = client.status(run_id).json()
    finished = client.status(run_id).json()

    run = emulator.runs[run_id]
    start, end = int(run.start_time * 1000), int(run.end_time * 1000)
    assert running == {
        "runId": run_id,
        "userId": "o",
        "notebookId": "nb",
        "startTime": start,
        "endTime": None,
        "success": False,
        "status": "running",
        "updateReport": "never",
        "directFileStorageWrite": False,
        "artifacts": [],
        "readOnly": False,
    }
    assert finished == {
        "runId": run_id,
        "userId": "o",
        "notebookId": "nb",
        "startTime": start,
        "endTime": end,
        "success": True,
        "status": "example",
        "updateReport": "never",
        "directFileStorageWrite": False,
        "artifacts": [{"name": "nb.ipynb", "path": f"/notebook/o/nb/artifacts/{run_id}/nb.ipynb"}],
        "readOnly": False,
    }


@pytest.mark.parametrize(
    ("settings", "user_id", "notebook_id"),
    [
        ({}, "o", "nb"),
        ({"reply_notebook_id": "bare"}, "o", "nb"),
        ({"reply_user_id": "u-runner"}, "u-runner", "nb"),
        ({"reply_notebook_id": "full"}, "o", "o/nb"),
        ({"reply_user_id": "u-runner", "reply_notebook_id": "full"}, "u-runner", "o/nb"),
    ],
)
def test_user_id_and_notebook_id_of_the_replies(serve_json, settings, user_id, notebook_id):
    _, client = serve_json([{"id": NB, "polls": 1, **settings}])
    run_id = client.start_id(NB)

    replies = [client.status(run_id).json() for _ in range(2)]

    assert [(r["userId"], r["notebookId"], "status" in r) for r in replies] == [
        (user_id, notebook_id, True),
        (user_id, notebook_id, False),
    ]


@pytest.mark.parametrize(
    "artifacts",
    [
        None,
        [],
        [
            {"name": "a.ipynb", "path": None},
            {"name": "b.csv", "path": "/notebook/x/y/artifacts/r/b.csv"},
            5,
            {"path": 7},
        ],
        {"name": "not-a-list.ipynb"},
    ],
    ids=["null", "empty", "odd-items", "object"],
)
def test_artifacts_reply_is_sent_as_given_once_finished(serve_json, artifacts):
    _, client = serve_json([{"id": NB, "polls": 1, "artifacts_reply": artifacts}])
    run_id = client.start_id(NB)

    running = client.status(run_id).json()
    finished = client.status(run_id).json()

    assert running["artifacts"] == []
    assert "artifacts" in finished
    assert finished["artifacts"] == artifacts


@pytest.mark.parametrize(
    "omitted",
    [
        ["directFileStorageWrite"],
        ["endTime", "artifacts"],
        ["success", "status", "readOnly"],
    ],
)
def test_omitted_fields_are_in_no_reply(serve_json, omitted):
    _, client = serve_json([{"id": NB, "polls": 1, "omit_fields": omitted}])
    run_id = client.start_id(NB, directFileStorageWrite=True)

    running = client.status(run_id).json()
    finished = client.status(run_id).json()

    every = {"runId", "userId", "notebookId", "startTime", "endTime", "success", "updateReport"}
    every |= {"directFileStorageWrite", "artifacts", "readOnly"}
    assert set(running) == (every | {"status"}) - set(omitted)
    assert set(finished) == every - set(omitted)


def test_every_field_can_be_omitted(serve_json):
    fields = ["runId", "userId", "notebookId", "startTime", "endTime", "success", "status"]
    fields += ["updateReport", "directFileStorageWrite", "artifacts", "readOnly"]
    emulator, client = serve_json([{"id": NB, "polls": 0, "omit_fields": fields}])

    response = client.status(client.start_id(NB))

    assert (response.status_code, response.json()) == (200, {})
    assert [run.finished for run in emulator.runs.values()] == [True]


@pytest.mark.parametrize(
    ("time_format", "expected"),
    [
        ("iso", "2026-11-26T10:00:00Z"),
        ("iso_fraction", "2026-11-26T10:00:00.125000000Z"),
        ("iso_offset", "2026-11-26T12:00:00.125+02:00"),
        ("epoch_ms", 1795687200125),
        ("epoch_s", 1795687200),
        ("epoch_s_float", 1795687200.125),
        ("invalid", "soon"),
    ],
)
def test_format_time(time_format, expected):
    value = format_time(INSTANT, time_format)

    assert value == expected
    assert type(value) is type(expected)


def test_format_time_rounds_like_the_wire():
    assert format_time(INSTANT + 0.000_999, "iso_offset") == "2026-11-26T12:00:00.125+02:00", "truncated"
    assert format_time(INSTANT + 0.000_4, "epoch_s_float") == 1795687200.125
    assert format_time(INSTANT - 0.125, "iso_fraction") == "2026-11-26T10:00:00.000000000Z"


_UTC_SECONDS = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"


@pytest.mark.parametrize(
    ("time_format", "pattern", "precision"),
    [
        ("iso_fraction", rf"^{_UTC_SECONDS}\.\d{{9}}Z$", 1e-6),
        ("iso_offset", rf"^{_UTC_SECONDS}\.\d{{3}}\+02:00$", 1e-3),
    ],
)
def test_iso_times_over_http_denote_the_run_times(serve_json, time_format, pattern, precision):
    emulator, client = serve_json([{"id": NB, "polls": 0, "time_format": time_format}])
    run_id = client.start_id(NB)

    body = client.status(run_id).json()

    run = emulator.runs[run_id]
    for name, instant in (("startTime", run.start_time), ("endTime", run.end_time)):
        assert re.match(pattern, body[name]), body[name]
        parsed = datetime.datetime.fromisoformat(body[name])  # Python 3.11 reads 9 digits and "Z"
        assert parsed.utcoffset() == datetime.timedelta(hours=2 if time_format == "iso_offset" else 0)
        assert abs(instant - parsed.timestamp()) < precision


@pytest.mark.parametrize(
    ("time_format", "kind", "scale"),
    [("epoch_s", int, 1), ("epoch_s_float", float, 1), ("epoch_ms", int, 1000)],
)
def test_epoch_times_over_http(serve_json, time_format, kind, scale):
    emulator, client = serve_json([{"id": NB, "polls": 0, "time_format": time_format}])
    run_id = client.start_id(NB)

    body = client.status(run_id).json()

    run = emulator.runs[run_id]
    assert (type(body["startTime"]), type(body["endTime"])) == (kind, kind)
    assert abs(body["startTime"] / scale - run.start_time) < 1
    assert abs(body["endTime"] / scale - run.end_time) < 1
    if time_format == "epoch_s_float":
        assert body["startTime"] == round(run.start_time, 3)


def test_invalid_times_are_not_times(serve_json):
    _, client = serve_json([{"id": NB, "polls": 1, "time_format": "invalid"}])
    run_id = client.start_id(NB)

    running = client.status(run_id).json()
    finished = client.status(run_id).json()

    assert (running["startTime"], running["endTime"]) == ("soon", None)
    assert (finished["startTime"], finished["endTime"]) == ("soon", "soon")


def test_settings_of_a_notebook_leave_other_notebooks_alone(serve_json):
    quirky = {"id": NB, "polls": 0, "final_status": "done", "reply_user_id": "u", "omit_fields": ["readOnly"]}
    _, client = serve_json([quirky, {"id": "o/plain", "polls": 0}])

    body = client.status(client.start_id("o/plain")).json()

    assert (body["userId"], body["readOnly"], "status" in body) == ("o", False, False)
