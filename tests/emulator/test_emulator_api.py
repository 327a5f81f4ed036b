"""The emulated Run API over real HTTP: endpoints, auth, access, validation and the run lifecycle."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

from airflow_provider_datalore.emulator import EmulatorConfig, Notebook

TOKEN = "emulator-token"
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _config(*notebooks: Notebook) -> EmulatorConfig:
    """Return a config with these notebooks and a token ``editor-token`` that may run them all."""
    return EmulatorConfig(tokens={"editor-token": {"*": "editor"}}, notebooks=list(notebooks))


# Starting runs


def test_start_run_returns_run_id_and_records_the_run(api, datalore_emulator):
    response = api.start("demo/sales-report")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    run_id = response.json()["runId"]
    assert list(response.json()) == ["runId"]
    run = datalore_emulator.runs[run_id]
    assert run.notebook_id == "demo/sales-report"
    assert run.update_report == "never"
    assert run.direct_file_storage_write is False
    assert run.parameters == []
    assert run.read_only is False
    assert run.access == "editor"
    assert run.end_time is None


def test_run_ids_are_unique(api):
    assert len({api.start_id() for _ in range(20)}) == 20


def test_parameters_and_options_are_recorded_and_echoed(api, datalore_emulator):
    parameters = [{"name": "region", "value": "EMEA"}, {"name": "limit", "value": "10"}]
    run_id = api.start_id(updateReport="on success", directFileStorageWrite=True, parameters=parameters)

    run = datalore_emulator.runs[run_id]
    assert run.parameters == parameters
    assert run.update_report == "on success"
    assert run.direct_file_storage_write is True
    status = api.status(run_id).json()
    assert status["updateReport"] == "on success"
    assert status["directFileStorageWrite"] is True


def test_runs_is_a_snapshot(api, datalore_emulator):
    run_id = api.start_id()
    datalore_emulator.runs[run_id].parameters.append({"name": "x", "value": "y"})
    assert datalore_emulator.runs[run_id].parameters == []


# Run status lifecycle


def test_default_notebook_runs_for_two_polls_then_finishes(api):
    run_id = api.start_id()

    for _ in range(2):
        running = api.status(run_id)
        assert running.status_code == 200
        body = running.json()
        assert body["status"] == "running"
        assert body["success"] is False
        assert body["endTime"] is None
        assert body["artifacts"] == []
    finished = api.status(run_id).json()

    assert "status" not in finished
    assert finished["success"] is True
    assert ISO_Z.match(finished["startTime"])
    assert ISO_Z.match(finished["endTime"])
    assert finished["endTime"] >= finished["startTime"]
    assert finished == {
        "runId": run_id,
        "userId": "demo",
        "notebookId": "sales-report",
        "startTime": finished["startTime"],
        "endTime": finished["endTime"],
        "success": True,
        "updateReport": "never",
        "directFileStorageWrite": False,
        "artifacts": [
            {
                "name": "sales-report.ipynb",
                "path": f"/notebook/demo/sales-report/artifacts/{run_id}/sales-report.ipynb",
            }
        ],
        "readOnly": False,
    }
    assert api.status(run_id).json() == finished, "a finished run stays finished"


def test_zero_polls_finishes_on_first_status(make_emulator, client_for):
    emulator = make_emulator(_config(Notebook(id="o/quick", polls=0)))
    client = client_for(emulator, "editor-token")

    body = client.status(client.start_id("o/quick")).json()

    assert "status" not in body
    assert body["success"] is True
    assert body["artifacts"] == [{"name": "quick.ipynb", "path": body["artifacts"][0]["path"]}]


def test_failure_outcome_reports_success_false_without_status(make_emulator, client_for):
    emulator = make_emulator(_config(Notebook(id="o/broken", polls=1, outcome="failure")))
    client = client_for(emulator, "editor-token")
    run_id = client.start_id("o/broken")

    assert client.status(run_id).json()["status"] == "running"
    body = client.status(run_id).json()

    assert "status" not in body
    assert body["success"] is False
    assert body["endTime"] is not None


def test_duration_keeps_the_run_in_progress_until_the_time_has_passed(make_emulator, client_for):
    duration = 0.3
    emulator = make_emulator(_config(Notebook(id="o/slow", duration=duration)))
    client = client_for(emulator, "editor-token")
    before_start = time.monotonic()
    run_id = client.start_id("o/slow")

    early = [client.status(run_id).json() for _ in range(2)]
    if time.monotonic() - before_start < duration:  # on a very slow machine the run may be over already
        assert [body["status"] for body in early] == ["running", "running"]
    time.sleep(max(0.0, duration - (time.monotonic() - before_start)) + 0.02)

    assert "status" not in client.status(run_id).json()


def test_duration_and_polls_must_both_be_satisfied(make_emulator, client_for):
    emulator = make_emulator(_config(Notebook(id="o/both", polls=3, duration=0.05)))
    client = client_for(emulator, "editor-token")
    run_id = client.start_id("o/both")
    time.sleep(0.1)

    states = ["status" in client.status(run_id).json() for _ in range(4)]

    assert states == [True, True, True, False]


def test_custom_status_string_and_quirky_success_while_running(make_emulator, client_for):
    notebook = Notebook(id="o/quirky", polls=1, status="QUEUED", success_while_running=True)
    emulator = make_emulator(_config(notebook))
    client = client_for(emulator, "editor-token")
    run_id = client.start_id("o/quirky")

    running = client.status(run_id).json()

    assert running["status"] == "QUEUED"
    assert running["success"] is True, "clients must decide completion by 'status' alone"


def test_success_and_end_time_can_be_omitted_while_running(make_emulator, client_for):
    notebook = Notebook(id="o/sparse", polls=1, success_while_running=None, end_time_while_running=False)
    emulator = make_emulator(_config(notebook))
    client = client_for(emulator, "editor-token")
    run_id = client.start_id("o/sparse")

    running = client.status(run_id).json()
    finished = client.status(run_id).json()

    assert "success" not in running
    assert "endTime" not in running
    assert running["status"] == "running"
    assert finished["success"] is True
    assert isinstance(finished["endTime"], str)


def test_epoch_ms_time_format(make_emulator, client_for):
    emulator = make_emulator(_config(Notebook(id="o/epoch", polls=0, time_format="epoch_ms")))
    client = client_for(emulator, "editor-token")
    before = int(time.time() * 1000)

    body = client.status(client.start_id("o/epoch")).json()

    assert isinstance(body["startTime"], int)
    assert isinstance(body["endTime"], int)
    assert before - 1000 <= body["startTime"] <= body["endTime"] <= int(time.time() * 1000) + 1000


def test_configured_artifacts_and_paths(make_emulator, client_for):
    notebook = Notebook.from_dict(
        {
            "id": "o/multi",
            "polls": 0,
            "artifacts": [{"name": "multi.ipynb"}, {"name": "out.csv", "path": "/custom/out.csv"}],
        }
    )
    emulator = make_emulator(_config(notebook))
    client = client_for(emulator, "editor-token")
    run_id = client.start_id("o/multi")

    artifacts = client.status(run_id).json()["artifacts"]

    assert artifacts == [
        {"name": "multi.ipynb", "path": f"/notebook/o/multi/artifacts/{run_id}/multi.ipynb"},
        {"name": "out.csv", "path": "/custom/out.csv"},
    ]


def test_status_of_unknown_run_is_404(api):
    response = api.status("no-such-run")

    assert response.status_code == 404
    assert response.json() == {"error": "Run no-such-run not found"}


def test_deleted_run_is_404(api, datalore_emulator):
    run_id = api.start_id()
    datalore_emulator.delete_run(run_id)

    assert api.status(run_id).status_code == 404
    with pytest.raises(KeyError):
        datalore_emulator.delete_run(run_id)


def test_status_polls_are_counted(api, datalore_emulator):
    run_id = api.start_id()
    for _ in range(3):
        api.status(run_id)
    assert datalore_emulator.runs[run_id].status_polls == 3
    assert datalore_emulator.runs[run_id].success is True


# Interactive runs


def test_interactive_run_returns_empty_object_and_is_recorded(api, datalore_emulator):
    response = api.interactive("demo/sales-report")

    assert response.status_code == 200
    assert response.json() == {}
    assert datalore_emulator.interactive_runs == ["demo/sales-report"]
    assert datalore_emulator.runs == {}


def test_interactive_run_checks_access_and_body(api, datalore_emulator):
    assert api.interactive("demo/read-only").status_code == 403
    assert api.interactive("demo/nothing").status_code == 404
    bad = requests.post(
        f"{datalore_emulator.url}/api/computation/v1/notebook",
        json={"notebookId": "demo/sales-report", "parameters": []},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert bad.status_code == 400
    assert "parameters" in bad.json()["error"]
    assert datalore_emulator.interactive_runs == []


# Authentication


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, "No API token provided"),
        ({"Authorization": "Token emulator-token"}, "No API token provided"),
        ({"Authorization": "Bearer"}, "No API token provided"),
        ({"Authorization": "Bearer   "}, "No API token provided"),
        ({"Authorization": "emulator-token"}, "No API token provided"),
        ({"Authorization": "Bearer wrong-token"}, "The API token is invalid or expired"),
        ({"Authorization": "bearer wrong-token"}, "The API token is invalid or expired"),
    ],
)
@pytest.mark.parametrize("endpoint", ["run", "status", "interactive"])
def test_requests_without_a_valid_token_are_401(datalore_emulator, headers, error, endpoint):
    url = datalore_emulator.url
    if endpoint == "run":
        response = requests.post(f"{url}/api/run/v1/notebook", json={"x": 1}, headers=headers, timeout=10)
    elif endpoint == "status":
        response = requests.get(f"{url}/api/run/v1/some-run", headers=headers, timeout=10)
    else:
        response = requests.post(
            f"{url}/api/computation/v1/notebook", json={"notebookId": 1}, headers=headers, timeout=10
        )

    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"error": error}
    assert datalore_emulator.runs == {}


def test_revoked_token_is_401(api, datalore_emulator):
    run_id = api.start_id()
    datalore_emulator.revoke_token(TOKEN)

    response = api.status(run_id)

    assert response.status_code == 401
    assert response.json() == {"error": "The API token is invalid or expired"}


def test_added_token_works(datalore_emulator, client_for):
    datalore_emulator.add_token("new-token", {"demo/sales-report": "editor"})
    assert client_for(datalore_emulator, "new-token").start().status_code == 200
    with pytest.raises(ValueError, match="access"):
        datalore_emulator.add_token("bad", {"demo/sales-report": "owner"})


# Access


def test_viewer_cannot_start_a_run(api, datalore_emulator):
    response = api.start("demo/read-only")

    assert response.status_code == 403
    assert response.json() == {"error": "You have view-only access to notebook demo/read-only"}
    assert datalore_emulator.runs == {}


@pytest.mark.parametrize("notebook_id", ["demo/unknown", "other/sales-report", "no-slash", "a/b/c"])
def test_unknown_or_unshared_notebook_is_404(api, notebook_id):
    response = api.start(notebook_id)

    assert response.status_code == 404
    assert response.json() == {"error": f"Notebook {notebook_id} is not shared with you or does not exist"}


def test_access_is_per_token_and_per_notebook(make_emulator, client_for):
    config = EmulatorConfig.from_dict(
        {
            "tokens": {
                "alice": {"team/report": "editor"},
                "bob": {"team/report": "viewer"},
                "carol": {"team/other": "editor"},
                "admin": {"*": "editor", "team/other": "viewer"},
            },
            "notebooks": [{"id": "team/report"}, {"id": "team/other"}],
        }
    )
    emulator = make_emulator(config)
    alice, bob, carol, admin = (client_for(emulator, t) for t in ("alice", "bob", "carol", "admin"))
    run_id = alice.start_id("team/report")

    assert bob.status(run_id).json()["readOnly"] is True, "viewers may read the run"
    assert alice.status(run_id).json()["readOnly"] is False
    assert carol.status(run_id).status_code == 404
    assert carol.status(run_id).json() == {"error": f"Run {run_id} not found"}
    assert admin.start("team/report").status_code == 200, "'*' grants every notebook"
    assert admin.start("team/other").status_code == 403, "an explicit grant overrides '*'"
    assert admin.start("team/missing").status_code == 404, "'*' covers configured notebooks only"


def test_added_notebook_is_runnable_with_wildcard_access(make_emulator, client_for):
    emulator = make_emulator({"tokens": {"t": {"*": "editor"}}})
    client = client_for(emulator, "t")
    assert client.start("late/nb").status_code == 404

    emulator.add_notebook(Notebook(id="late/nb", polls=0))

    assert "status" not in client.status(client.start_id("late/nb")).json()


# Validation


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "JSON object"),
        ("just a string", "JSON object"),
        (None, "JSON object"),
        ({}, "notebookId"),
        ({"notebookId": 42}, "notebookId"),
        ({"notebookId": ""}, "notebookId"),
        ({"notebookId": None}, "notebookId"),
        ({"notebookId": "demo/sales-report", "updateReport": "always"}, "updateReport"),
        ({"notebookId": "demo/sales-report", "updateReport": "On Success"}, "updateReport"),
        ({"notebookId": "demo/sales-report", "updateReport": None}, "updateReport"),
        ({"notebookId": "demo/sales-report", "directFileStorageWrite": "true"}, "directFileStorageWrite"),
        ({"notebookId": "demo/sales-report", "directFileStorageWrite": 1}, "directFileStorageWrite"),
        ({"notebookId": "demo/sales-report", "parameters": {"a": "1"}}, "parameters"),
        ({"notebookId": "demo/sales-report", "parameters": ["a=1"]}, "parameters[0]"),
        ({"notebookId": "demo/sales-report", "parameters": [{"name": "a"}]}, "parameters[0]"),
        (
            {"notebookId": "demo/sales-report", "parameters": [{"name": "a", "value": 1}]},
            "parameters[0].value",
        ),
        (
            {"notebookId": "demo/sales-report", "parameters": [{"name": "a", "value": True}]},
            "parameters[0].value",
        ),
        (
            {"notebookId": "demo/sales-report", "parameters": [{"name": "a", "value": None}]},
            "parameters[0].value",
        ),
        (
            {"notebookId": "demo/sales-report", "parameters": [{"name": "", "value": "1"}]},
            "parameters[0].name",
        ),
        (
            {"notebookId": "demo/sales-report", "parameters": [{"name": 3, "value": "1"}]},
            "parameters[0].name",
        ),
        (
            {"notebookId": "demo/sales-report", "parameters": [{"name": "a", "value": "1", "type": "text"}]},
            "parameters[0]",
        ),
        (
            {
                "notebookId": "demo/sales-report",
                "parameters": [{"name": "a", "value": "1"}, {"name": "a", "value": "2"}],
            },
            "parameters[1].name",
        ),
        ({"notebookId": "demo/sales-report", "notebook_id": "x"}, "notebook_id"),
        ({"notebookId": "demo/sales-report", "runName": "x"}, "runName"),
    ],
)
def test_invalid_run_bodies_are_400_naming_the_field(datalore_emulator, body, field):
    response = requests.post(
        f"{datalore_emulator.url}/api/run/v1/notebook",
        data=json.dumps(body),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        timeout=10,
    )

    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/json")
    assert field in response.json()["error"]
    assert datalore_emulator.runs == {}


@pytest.mark.parametrize("raw", [b"", b"not json", b'{"notebookId": "demo/sales-report"', b"\xff\xfe"])
def test_unparseable_bodies_are_400(datalore_emulator, raw):
    response = requests.post(
        f"{datalore_emulator.url}/api/run/v1/notebook",
        data=raw,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        timeout=10,
    )

    assert response.status_code == 400
    assert response.json() == {"error": "Request body must be a JSON object"}


def test_body_without_json_content_type_is_415(datalore_emulator):
    response = requests.post(
        f"{datalore_emulator.url}/api/run/v1/notebook",
        data=json.dumps({"notebookId": "demo/sales-report"}),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/plain"},
        timeout=10,
    )

    assert response.status_code == 415
    assert response.json() == {"error": "Content-Type must be application/json"}
    assert datalore_emulator.runs == {}


def test_json_content_type_with_charset_is_accepted(datalore_emulator):
    response = requests.post(
        f"{datalore_emulator.url}/api/run/v1/notebook",
        data=json.dumps({"notebookId": "demo/sales-report"}).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json; charset=utf-8"},
        timeout=10,
    )
    assert response.status_code == 200


def test_auth_is_checked_before_the_body(datalore_emulator):
    response = requests.post(f"{datalore_emulator.url}/api/run/v1/notebook", data=b"junk", timeout=10)
    assert response.status_code == 401


def test_validation_comes_before_access(api):
    response = api.start("demo/read-only", updateReport="sometimes")
    assert response.status_code == 400


# Paths that are not the API


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/api/run/v2/abc"),
        ("POST", "/api/run/v1/notebook/"),
        ("POST", "/api/run/v1/notebooks"),
        ("PUT", "/api/run/v1/notebook"),
        ("DELETE", "/api/run/v1/some-run"),
        ("GET", "/api/computation/v1/notebook/x"),
        ("GET", "/datalore/api/run/v1/some-run"),
    ],
)
def test_other_paths_are_plain_text_404(datalore_emulator, method, path):
    response = requests.request(
        method, f"{datalore_emulator.url}{path}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "Not Found"
