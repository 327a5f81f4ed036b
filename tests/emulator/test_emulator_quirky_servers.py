"""Servers that answer differently: older versions, the interactive call's reply, 404s of unknown paths."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
import requests

from airflow_provider_datalore.emulator import EmulatorConfig, Fault

TOKEN = "emulator-token"
RUN_PATH = "/api/run/v1/notebook"
INTERACTIVE_PATH = "/api/computation/v1/notebook"
NB = "o/nb"
PARAMETERS = [{"name": "region", "value": "EU"}]
AUTH = {"Authorization": f"Bearer {TOKEN}"}


# server_version


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"parameters": PARAMETERS}, "parameters"),
        ({"directFileStorageWrite": True}, "directFileStorageWrite"),
        (
            {"updateReport": "never", "directFileStorageWrite": False, "parameters": []},
            "directFileStorageWrite",
        ),
        ({"parameters": "not even a list"}, "parameters"),
        ({"foo": 1}, "foo"),
    ],
)
def test_2025_strict_refuses_the_fields_2026_added(serve_json, extra, field):
    emulator, client = serve_json([{"id": NB}], server_version="2025-strict")

    response = client.start(NB, **extra)

    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"error": f'Unrecognized field "{field}"'}
    assert emulator.runs == {}
    assert [entry.body for entry in emulator.journal] == [{"notebookId": NB, **extra}]


def test_2025_strict_runs_a_2025_request_and_replies_with_direct_file_storage_write(serve_json):
    emulator, client = serve_json([{"id": NB, "polls": 0}], server_version="2025-strict")

    run_id = client.start_id(NB, updateReport="on success")
    body = client.status(run_id).json()

    assert (body["updateReport"], body["directFileStorageWrite"]) == ("on success", False)
    assert client.start(NB, updateReport="always").json() == {
        "error": "Field 'updateReport' must be \"on success\" or \"never\", got 'always'"
    }


def test_2025_lenient_ignores_the_fields_2026_added(serve_json):
    emulator, client = serve_json([{"id": NB, "polls": 0}], server_version="2025-lenient")
    sent = {"notebookId": NB, "parameters": PARAMETERS, "directFileStorageWrite": True}

    run_id = client.start_id(NB, parameters=PARAMETERS, directFileStorageWrite=True)
    other = client.start_id(NB, parameters="unchecked", directFileStorageWrite="unchecked")
    bare = client.start_id(NB)

    run = emulator.runs[run_id]
    assert (run.parameters, run.direct_file_storage_write) == ([], False)
    assert emulator.run_starts()[0].body == sent, "the journal keeps the body as sent"
    for started in (run_id, other, bare):
        body = client.status(started).json()
        assert "directFileStorageWrite" not in body
        assert body["success"] is True
    assert client.start(NB, foo=1).json() == {
        "error": "Unknown field 'foo' (allowed: notebookId, updateReport)"
    }


def test_2026_accepts_the_2026_fields(serve_json):
    emulator, client = serve_json([{"id": NB, "polls": 0}], server_version="2026")

    run_id = client.start_id(NB, parameters=PARAMETERS, directFileStorageWrite=True)

    run = emulator.runs[run_id]
    assert (run.parameters, run.direct_file_storage_write) == (PARAMETERS, True)
    assert client.status(run_id).json()["directFileStorageWrite"] is True


# interactive_reply and interactive_seconds


@pytest.mark.parametrize(
    ("shape", "status", "content_type", "body"),
    [
        ("json", 200, "application/json; charset=utf-8", b"{}"),
        ("empty", 200, None, b""),
        ("text", 200, "text/plain; charset=utf-8", b"OK"),
        ("no_content", 204, None, b""),
    ],
)
def test_interactive_reply_shapes(serve_json, shape, status, content_type, body):
    emulator, client = serve_json([{"id": NB}], interactive_reply=shape)

    response = client.interactive(NB)

    assert response.status_code == status
    assert response.headers.get("Content-Type") == content_type
    assert response.content == body
    assert response.headers.get("Content-Length") == (None if status == 204 else str(len(body)))
    assert emulator.interactive_runs == [NB]
    assert [entry.status for entry in emulator.journal] == [status]


@pytest.mark.parametrize("shape", ["empty", "text", "no_content"])
def test_interactive_errors_stay_json_whatever_the_reply_shape(serve_json, shape):
    emulator, client = serve_json(
        [{"id": NB}, {"id": "o/viewed"}], {NB: "editor", "o/viewed": "viewer"}, interactive_reply=shape
    )

    response = client.interactive("o/viewed")

    assert response.status_code == 403
    assert response.json() == {"error": "You have view-only access to notebook o/viewed"}
    assert emulator.interactive_runs == []


def test_interactive_answers_after_interactive_seconds(serve_json, wait_for):
    emulator, client = serve_json(
        [{"id": NB}, {"id": "o/viewed"}], {NB: "editor", "o/viewed": "viewer"}, interactive_seconds=0.3
    )
    answers: list[requests.Response] = []
    thread = threading.Thread(target=lambda: answers.append(client.interactive(NB)))
    began = time.monotonic()
    thread.start()

    assert wait_for(lambda: emulator.interactive_runs == [NB]), "the run starts when the request arrives"
    assert answers == []
    assert [entry.status for entry in emulator.journal] == [None], "journaled on arrival, not yet answered"
    thread.join(5)
    elapsed = time.monotonic() - began

    assert 0.3 <= elapsed < 1.0
    assert (answers[0].status_code, answers[0].json()) == (200, {})
    assert [entry.status for entry in emulator.journal] == [200]
    refused_at = time.monotonic()
    assert client.interactive("o/viewed").status_code == 403
    assert time.monotonic() - refused_at < 0.25, "a refused request is answered at once"


def test_interactive_seconds_are_short_a_client_timeout(serve_json):
    _, client = serve_json([{"id": NB}], interactive_seconds=0.5)

    with pytest.raises(requests.exceptions.ReadTimeout):
        client.session.post(
            f"{client.base}{INTERACTIVE_PATH}", json={"notebookId": NB}, headers=AUTH, timeout=0.1
        )


def test_a_delay_fault_and_interactive_seconds_add_up(serve_json):
    emulator, client = serve_json([{"id": NB}], interactive_seconds=0.2, interactive_reply="text")
    emulator.add_faults(Fault(endpoint="interactive", action="delay", seconds=0.2))
    began = time.monotonic()

    response = client.interactive(NB)

    assert 0.4 <= time.monotonic() - began < 1.0
    assert (response.status_code, response.text) == (200, "OK")


def test_a_shaping_fault_sends_the_real_text_reply(serve_json, raw_connection):
    emulator, _ = serve_json([{"id": NB}], interactive_reply="text")
    emulator.add_faults(Fault(endpoint="interactive", action="interim_1xx", process=True))
    connection = raw_connection(emulator)

    connection.send("POST", INTERACTIVE_PATH, {"notebookId": NB})
    connection.read_until(b"103 Early Hints\r\n")
    connection.read_until(b"\r\n\r\n")
    head, body = connection.read_response()

    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert connection.headers(head)["content-type"] == "text/plain; charset=utf-8"
    assert body == b"OK"


# unknown_path_reply


def _get(emulator, path: str) -> requests.Response:
    return requests.get(f"{emulator.url.removesuffix('/datalore')}{path}", headers=AUTH, timeout=10)


def test_spring_json_404_names_the_path(serve_json):
    emulator, _ = serve_json([{"id": NB}], unknown_path_reply="spring_json")
    before = datetime.datetime.now(datetime.UTC)

    response = requests.post(
        f"{emulator.url}/api/run/v1/notebook/", json={"notebookId": NB}, headers=AUTH, timeout=10
    )

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body == {
        "timestamp": body["timestamp"],
        "status": 404,
        "error": "Not Found",
        "path": "/api/run/v1/notebook/",
    }
    stamp = datetime.datetime.fromisoformat(body["timestamp"])
    assert stamp.utcoffset() == datetime.timedelta(0)
    assert before - datetime.timedelta(seconds=1) <= stamp <= datetime.datetime.now(datetime.UTC)
    assert [(entry.path, entry.status) for entry in emulator.journal] == [("/api/run/v1/notebook/", 404)]


@pytest.mark.parametrize(
    ("shape", "content_type", "body"),
    [
        ("text", "text/plain; charset=utf-8", "Not Found"),
        (
            "html",
            "text/html",
            "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
            "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
        ),
    ],
)
def test_text_and_html_404(serve_json, shape, content_type, body):
    emulator, _ = serve_json([{"id": NB}], unknown_path_reply=shape)

    response = _get(emulator, "/api/run/v2/some-run")

    assert (response.status_code, response.headers["Content-Type"], response.text) == (
        404,
        content_type,
        body,
    )


@pytest.mark.parametrize(
    ("shape", "content_type"), [("spring_json", "application/json"), ("html", "text/html")]
)
def test_api_paths_without_the_prefix_get_the_unknown_path_reply(
    make_emulator, client_for, shape, content_type
):
    config = EmulatorConfig.from_dict({**EmulatorConfig.default().to_dict(), "unknown_path_reply": shape})
    emulator = make_emulator(config, prefix="/datalore")

    missed = _get(emulator, "/api/run/v1/some-run")
    control = _get(emulator, "/_emulator/nothing")

    assert (missed.status_code, missed.headers["Content-Type"]) == (404, content_type)
    assert (control.status_code, control.text) == (404, "Not Found"), (
        "the control plane is the emulator's own"
    )
    assert client_for(emulator).start("demo/sales-report").status_code == 200, (
        "the API under the prefix works"
    )
    assert [(entry.path, entry.status) for entry in emulator.journal] == [
        ("/api/run/v1/some-run", 404),
        ("/datalore/api/run/v1/notebook", 200),
    ]
