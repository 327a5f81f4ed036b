"""The request journal (never holding a token) and the out-of-process control plane."""

from __future__ import annotations

import contextlib
import json
import time

import requests

from airflow_provider_datalore.emulator import Fault, JournalEntry

TOKEN = "emulator-token"


def test_journal_entry_of_a_run_start(api, datalore_emulator):
    before = time.time()
    body = {"notebookId": "demo/sales-report", "parameters": [{"name": "a", "value": "1"}]}
    response = requests.post(
        f"{datalore_emulator.url}/api/run/v1/notebook?trace=1",
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )

    [entry] = datalore_emulator.journal
    assert isinstance(entry, JournalEntry)
    assert entry.to_dict() == {
        "method": "POST",
        "path": "/api/run/v1/notebook",
        "query": "trace=1",
        "body": body,
        "auth_present": True,
        "token_valid": True,
        "status": 200,
        "fault": None,
        "time": entry.time,
        "run_id": response.json()["runId"],
        "client_port": entry.client_port,
    }
    assert before <= entry.time <= time.time()
    assert isinstance(entry.client_port, int)
    assert entry.client_port > 0


def test_journal_records_rejected_and_faulted_requests(api, datalore_emulator, client_for):
    datalore_emulator.add_faults(Fault(endpoint="status", status=503))
    no_auth = client_for(datalore_emulator, None)
    bad_token = client_for(datalore_emulator, "nope")

    no_auth.start()
    bad_token.status("r1")
    api.status("r2")
    api.start("demo/read-only")
    requests.post(
        f"{datalore_emulator.url}/api/run/v1/notebook",
        data="not json",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        timeout=10,
    )

    summary = [
        (e.method, e.auth_present, e.token_valid, e.status, e.fault) for e in datalore_emulator.journal
    ]
    assert summary == [
        ("POST", False, False, 401, None),
        ("GET", True, False, 503, 503),
        ("GET", True, True, 404, None),
        ("POST", True, True, 403, None),
        ("POST", True, True, 400, None),
    ]
    assert datalore_emulator.journal[-1].body == "not json", "a body that is not JSON is kept as text"
    assert datalore_emulator.journal[1].body is None


def test_journal_never_holds_a_token(datalore_emulator, client_for):
    secret = "dl-secret-5f3a9c1e7b-valid"
    wrong = "dl-secret-wrong-0a9b8c7d"
    datalore_emulator.add_token(secret, {"*": "editor"})
    client = client_for(datalore_emulator, secret)
    run_id = client.start_id()
    client.status(run_id)
    client_for(datalore_emulator, wrong).status(run_id)
    requests.get(
        f"{datalore_emulator.url}/elsewhere", headers={"Authorization": f"Bearer {secret}"}, timeout=10
    )
    datalore_emulator.add_faults(Fault(endpoint="status", action="drop"))
    with contextlib.suppress(requests.exceptions.ConnectionError):
        client.status(run_id)

    dumped = json.dumps([e.to_dict() for e in datalore_emulator.journal]) + repr(datalore_emulator.journal)
    control = requests.get(f"{datalore_emulator.url}/_emulator/journal", timeout=10).text
    runs = requests.get(f"{datalore_emulator.url}/_emulator/runs", timeout=10).text
    assert len(datalore_emulator.journal) == 5
    for text in (dumped, control, runs, repr(datalore_emulator.runs)):
        assert secret not in text
        assert wrong not in text
        assert "Bearer" not in text


def test_requests_filter_and_run_starts(api, datalore_emulator):
    datalore_emulator.add_token("other", {"*": "editor"})
    run_a = api.start_id("demo/sales-report")
    api.status(run_a)
    api.start("demo/read-only")  # 403: not a start
    api.interactive()

    assert [e.method for e in datalore_emulator.requests(method="get")] == ["GET"]
    assert len(datalore_emulator.requests(method="POST")) == 3
    assert len(datalore_emulator.requests(path_contains="/computation/")) == 1
    assert len(datalore_emulator.requests("POST", "/api/run/")) == 2
    assert [e.run_id for e in datalore_emulator.run_starts()] == [run_a]
    assert [e.run_id for e in datalore_emulator.run_starts("demo/sales-report")] == [run_a]
    assert datalore_emulator.run_starts("demo/read-only") == []


def test_journal_is_a_copy_and_can_be_cleared(api, datalore_emulator):
    api.status("x")
    journal = datalore_emulator.journal
    journal.clear()
    assert len(datalore_emulator.journal) == 1

    datalore_emulator.clear_journal()

    assert datalore_emulator.journal == []


def test_control_plane_is_unauthenticated_json_and_not_journaled(api, datalore_emulator):
    base = datalore_emulator.url
    run_id = api.start_id(parameters=[{"name": "n", "value": "v"}])
    api.interactive()

    journal = requests.get(f"{base}/_emulator/journal", timeout=10)
    runs = requests.get(f"{base}/_emulator/runs", timeout=10).json()
    interactive = requests.get(f"{base}/_emulator/interactive", timeout=10).json()

    assert journal.status_code == 200
    assert [e["path"] for e in journal.json()] == ["/api/run/v1/notebook", "/api/computation/v1/notebook"]
    assert journal.json()[0]["run_id"] == run_id
    assert list(runs) == [run_id]
    assert runs[run_id]["notebook_id"] == "demo/sales-report"
    assert runs[run_id]["parameters"] == [{"name": "n", "value": "v"}]
    assert runs[run_id]["finished"] is False
    assert interactive == ["demo/sales-report"]
    assert len(datalore_emulator.journal) == 2


def test_control_plane_faults_and_reset(api, datalore_emulator):
    base = datalore_emulator.url
    run_id = api.start_id()

    queued = requests.post(
        f"{base}/_emulator/faults",
        json=[{"endpoint": "status", "status": 503, "retry_after": "1"}],
        timeout=10,
    )
    wrapped = requests.post(
        f"{base}/_emulator/faults", json={"faults": [{"endpoint": "status", "action": "drop"}]}, timeout=10
    )
    single = requests.post(f"{base}/_emulator/faults", json={"endpoint": "status", "status": 500}, timeout=10)
    pending = requests.get(f"{base}/_emulator/faults", timeout=10).json()

    assert [queued.json(), wrapped.json(), single.json()] == [{"queued": 1}] * 3
    assert [(f["status"], f["action"]) for f in pending] == [(503, None), (None, "drop"), (500, None)]
    assert api.status(run_id).headers["Retry-After"] == "1"

    reset = requests.post(f"{base}/_emulator/reset", timeout=10)
    assert reset.status_code == 200
    assert datalore_emulator.journal == []


def test_control_plane_rejects_invalid_faults(datalore_emulator):
    base = datalore_emulator.url
    for payload in ("not json", json.dumps([{"endpoint": "nowhere", "status": 500}]), json.dumps({"x": 1})):
        response = requests.post(f"{base}/_emulator/faults", data=payload, timeout=10)
        assert response.status_code == 400
        assert response.json()["error"]
    assert datalore_emulator.pending_faults == []
    unknown = requests.get(f"{base}/_emulator/nothing", timeout=10)
    assert (unknown.status_code, unknown.text) == (404, "Not Found")
