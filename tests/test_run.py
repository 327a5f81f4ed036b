from __future__ import annotations

import datetime
import json
import logging

import pytest

from airflow_provider_datalore.exceptions import DataloreResponseError
from airflow_provider_datalore.run_api.run import DataloreArtifact, DataloreRun
from tests.helpers import status_body as finished

BASE = "https://corp.example/datalore"
UTC = datetime.UTC


def test_finished_successful_run():
    run = DataloreRun.from_response(finished(), base_url=BASE)
    assert run.is_finished and run.is_successful and not run.is_failed
    assert run.state == "success"
    assert run.notebook_id == "alice/sales"
    assert run.notebook_url == f"{BASE}/notebook/alice/sales"
    assert run.start_time == datetime.datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert run.end_time == datetime.datetime(2026, 11, 26, 10, 5, 30, tzinfo=UTC)
    assert run.artifacts == (
        DataloreArtifact(
            name="sales.ipynb",
            path="/notebook/alice/sales/artifacts/run-1/sales.ipynb",
            url=f"{BASE}/notebook/alice/sales/artifacts/run-1/sales.ipynb",
        ),
    )
    assert run.update_report == "on success"
    assert run.read_only is False


@pytest.mark.parametrize(
    ("overrides", "state"),
    [
        # While status is present the run is in progress, whatever success says.
        ({"status": "running", "success": False, "endTime": None}, "running"),
        ({"status": "running", "success": True, "endTime": None}, "running"),
        ({"status": "SOME_NEW_STATE", "endTime": ...}, "running"),
        ({"status": "", "endTime": None}, "running"),
        ({"status": 3, "endTime": None}, "running"),
        # An end time means the run has ended, status or not (the docs' own example shows both).
        ({"status": "example", "success": True}, "success"),
        ({"status": "running", "success": False}, "failed"),
        ({"status": "running", "success": ..., "endTime": 1795687530}, "failed"),
        # Finished (no status): success decides.
        ({"success": True}, "success"),
        ({"success": False}, "failed"),
        ({"success": ...}, "failed"),
        ({"success": None}, "failed"),
        ({"success": "true"}, "success"),
        ({"success": "yes"}, "failed"),
        ({"status": None, "success": True}, "success"),
    ],
)
def test_state_is_decided_by_status_then_success(overrides, state):
    run = DataloreRun.from_response(finished(**overrides), base_url=BASE)
    assert run.state == state
    assert run.is_finished is (state != "running")
    assert run.is_successful is (state == "success")
    assert run.is_failed is (state == "failed")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-26T10:00:00Z", datetime.datetime(2026, 11, 26, 10, 0, tzinfo=UTC)),
        ("2026-11-26T10:00:00.250Z", datetime.datetime(2026, 11, 26, 10, 0, 0, 250000, tzinfo=UTC)),
        ("2026-11-26T11:00:00+01:00", datetime.datetime(2026, 11, 26, 10, 0, tzinfo=UTC)),
        ("2026-11-26T10:00:00", datetime.datetime(2026, 11, 26, 10, 0, tzinfo=UTC)),
        (1795687200000, datetime.datetime(2026, 11, 26, 10, 0, tzinfo=UTC)),
        (1795687200000.0, datetime.datetime(2026, 11, 26, 10, 0, tzinfo=UTC)),
        ("1795687200000", datetime.datetime(2026, 11, 26, 10, 0, tzinfo=UTC)),
        (None, None),
        ("", None),
    ],
)
def test_times_are_parsed_from_iso_or_epoch_millis(value, expected):
    assert DataloreRun.from_response(finished(startTime=value), base_url=BASE).start_time == expected


@pytest.mark.parametrize("value", ["yesterday", True, [1], {"t": 1}, 10**30])
def test_unreadable_time_is_logged_not_fatal(value, caplog):
    with caplog.at_level(logging.WARNING, logger="airflow_provider_datalore.run_api.run"):
        run = DataloreRun.from_response(finished(startTime=value), base_url=BASE, run_id="run-1")
    assert run.start_time is None
    assert "Ignoring startTime=" in caplog.text


def test_unknown_fields_are_tolerated_and_logged(caplog):
    with caplog.at_level(logging.DEBUG, logger="airflow_provider_datalore.run_api.run"):
        run = DataloreRun.from_response(finished(newField=1, anotherOne="x"), base_url=BASE)
    assert run.is_successful
    assert "['anotherOne', 'newField']" in caplog.text


def test_minimal_body_uses_the_requested_run_id():
    run = DataloreRun.from_response({"status": "queued"}, base_url=BASE, run_id="r9")
    assert (run.run_id, run.notebook_id, run.notebook_url, run.artifacts) == ("r9", None, None, ())
    assert run.state == "running"


def test_notebook_id_with_slash_is_kept():
    run = DataloreRun.from_response(finished(userId=None, notebookId="bob/nb"), base_url=BASE)
    assert run.notebook_id == "bob/nb"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "is a list, not a JSON object"),
        ("oops", "is a str, not a JSON object"),
        (None, "is a NoneType, not a JSON object"),
        ({"status": "running"}, "names no runId"),
    ],
)
def test_malformed_body_raises_the_documented_error(payload, message):
    with pytest.raises(DataloreResponseError, match=message):
        DataloreRun.from_response(payload, base_url=BASE)


def test_artifact_without_name_takes_it_from_the_path():
    run = DataloreRun.from_response(finished(artifacts=[{"path": "/x/y/out.csv"}]), base_url=BASE)
    assert run.artifacts[0].name == "out.csv"


def test_to_dict_is_json_safe_and_round_trips():
    run = DataloreRun.from_response(finished(), base_url=BASE)
    data = json.loads(json.dumps(run.to_dict()))
    assert data == {
        "run_id": "run-1",
        "notebook_id": "alice/sales",
        "notebook_url": f"{BASE}/notebook/alice/sales",
        "state": "success",
        "status": None,
        "success": True,
        "start_time": "2026-11-26T10:00:00+00:00",
        "end_time": "2026-11-26T10:05:30+00:00",
        "update_report": "on success",
        "direct_file_storage_write": False,
        "read_only": False,
        "artifacts": [
            {
                "name": "sales.ipynb",
                "path": "/notebook/alice/sales/artifacts/run-1/sales.ipynb",
                "url": f"{BASE}/notebook/alice/sales/artifacts/run-1/sales.ipynb",
            }
        ],
    }
    assert DataloreRun.from_dict(data) == run


def test_running_round_trip_keeps_state():
    run = DataloreRun.from_response(finished(status="running", endTime=None), base_url=BASE)
    again = DataloreRun.from_dict(json.loads(json.dumps(run.to_dict())))
    assert again == run and again.state == "running"


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({"status": "running"}, "Datalore run run-1 of notebook alice/sales"),
        ({"success": True}, "succeeded"),
        ({"success": False}, "failed"),
        ({"success": None}, "failed (Datalore reported it finished without a success flag)"),
    ],
)
def test_describe(overrides, text):
    assert text in DataloreRun.from_response(finished(**overrides), base_url=BASE).describe()
