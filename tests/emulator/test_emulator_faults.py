"""Scripted faults on the wire: injected statuses, dropped and reset connections, bad JSON, delays."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from airflow_provider_datalore.emulator import EmulatorConfig, Fault, Notebook

TOKEN = "emulator-token"


def test_injected_status_with_retry_after_then_normal(api, datalore_emulator):
    run_id = api.start_id()
    datalore_emulator.add_faults(Fault(endpoint="status", status=503, retry_after="2", times=2))

    first, second, third = (api.status(run_id) for _ in range(3))

    for response in (first, second):
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "2"
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.json() == {"error": "Injected 503"}
    assert third.status_code == 200
    assert "Retry-After" not in third.headers
    assert datalore_emulator.runs[run_id].status_polls == 1, "faulted GETs are not processed"


def test_retry_after_http_date_and_custom_error_body(api, datalore_emulator):
    date = "Wed, 21 Oct 2026 07:28:00 GMT"
    datalore_emulator.add_faults(
        {"endpoint": "run", "status": 429, "retry_after": date, "body": {"error": "Slow"}}
    )

    response = api.start()

    assert response.status_code == 429
    assert response.headers["Retry-After"] == date
    assert response.json() == {"error": "Slow"}
    assert datalore_emulator.runs == {}, "process=false: the run is not created"


def test_status_200_fault_sends_the_exact_body(api, datalore_emulator):
    odd = {"runId": "x", "status": "SOMETHING_NEW", "artifacts": None}
    datalore_emulator.add_faults(Fault(endpoint="status", status=200, body=odd))

    response = api.status(api.start_id())

    assert response.status_code == 200
    assert response.json() == odd


def test_drop_closes_the_connection_without_a_response(api, datalore_emulator):
    datalore_emulator.add_faults(Fault(endpoint="run", action="drop"))

    with pytest.raises(requests.exceptions.ConnectionError):
        api.start()

    assert datalore_emulator.runs == {}
    entry = datalore_emulator.journal[-1]
    assert (entry.status, entry.fault, entry.run_id) == (None, "drop", None)
    assert api.start().status_code == 200, "the next request is served normally"


def test_drop_on_a_raw_socket_reads_eof(datalore_emulator):
    datalore_emulator.add_faults(Fault(endpoint="status", action="drop"))
    request = (f"GET /api/run/v1/abc HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n").encode()

    with socket.create_connection(("127.0.0.1", datalore_emulator.port), timeout=5) as sock:
        sock.sendall(request)
        assert sock.recv(1024) == b""


def test_reset_sends_a_partial_response_then_aborts(api, datalore_emulator):
    run_id = api.start_id()
    datalore_emulator.add_faults(Fault(endpoint="status", action="reset"))

    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        api.status(run_id)

    assert datalore_emulator.journal[-1].fault == "reset"
    assert datalore_emulator.journal[-1].status is None
    assert api.status(run_id).status_code == 200


def test_reset_on_a_raw_socket_gets_headers_then_a_short_body(datalore_emulator):
    datalore_emulator.add_faults(Fault(endpoint="status", action="reset"))
    request = (f"GET /api/run/v1/abc HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n").encode()
    received = b""
    with socket.create_connection(("127.0.0.1", datalore_emulator.port), timeout=5) as sock:
        sock.sendall(request)
        try:
            while chunk := sock.recv(4096):
                received += chunk
        except ConnectionResetError:
            pass

    if received:  # the RST may discard what was in flight; when it arrived, it is a lying response
        head, _, body = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        length = int(
            next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[1]
        )
        assert len(body) < length


@pytest.mark.parametrize("endpoint", ["run", "status", "interactive"])
def test_malformed_json_is_200_with_a_truncated_json_body(api, datalore_emulator, endpoint):
    run_id = api.start_id()
    datalore_emulator.add_faults(Fault(endpoint=endpoint, action="malformed_json"))

    response = {"run": api.start, "interactive": api.interactive, "status": lambda: api.status(run_id)}[
        endpoint
    ]()

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    with pytest.raises(requests.exceptions.JSONDecodeError):
        response.json()


def test_delay_makes_a_short_client_timeout_fire_then_serves(api, datalore_emulator, wait_for):
    run_id = api.start_id()
    datalore_emulator.add_faults(Fault(endpoint="status", action="delay", seconds=0.5))

    with pytest.raises(requests.exceptions.ReadTimeout):
        api.status(run_id, timeout=0.1)

    assert api.status(run_id).status_code == 200
    assert wait_for(lambda: any(e.fault == "delay" and e.status == 200 for e in datalore_emulator.journal))


def test_a_delayed_request_is_journaled_on_arrival(api, datalore_emulator):
    run_id = api.start_id()
    datalore_emulator.add_faults(Fault(endpoint="status", action="delay", seconds=2.0))

    with pytest.raises(requests.exceptions.ReadTimeout):
        api.status(run_id, timeout=0.1)
    waiting = datalore_emulator.requests(method="GET")
    api.status(run_id)

    assert [(e.fault, e.status) for e in waiting] == [("delay", None)], "held: not answered yet"
    journal = datalore_emulator.requests(method="GET")
    assert [(e.fault, e.status) for e in journal] == [("delay", None), (None, 200)], "in arrival order"


def test_delay_that_the_client_waits_out_is_answered_normally(api, datalore_emulator):
    datalore_emulator.add_faults(Fault(endpoint="run", action="delay", seconds=0.1))
    started = time.monotonic()

    response = api.start()

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.1
    assert response.json()["runId"] in datalore_emulator.runs


def test_a_timed_out_start_still_creates_the_run(api, datalore_emulator, wait_for):
    datalore_emulator.add_faults(Fault(endpoint="run", action="delay", seconds=0.3))

    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(
            f"{datalore_emulator.url}/api/run/v1/notebook",
            json={"notebookId": "demo/sales-report"},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=0.05,
        )

    assert wait_for(lambda: len(datalore_emulator.runs) == 1), "the server got the request: the run goes on"


@pytest.mark.parametrize(
    "fault",
    [
        Fault(endpoint="run", status=500, process=True),
        Fault(endpoint="run", action="drop", process=True),
        Fault(endpoint="run", action="reset", process=True),
        Fault(endpoint="run", action="malformed_json", process=True),
    ],
    ids=["500", "drop", "reset", "malformed_json"],
)
def test_process_true_creates_the_run_before_the_fault_replaces_the_answer(api, datalore_emulator, fault):
    datalore_emulator.add_faults(fault)

    try:
        response = api.start()
        assert response.status_code in (200, 500)
        if response.status_code == 200:
            with pytest.raises(requests.exceptions.JSONDecodeError):
                response.json()
    except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError):
        pass

    assert len(datalore_emulator.runs) == 1
    starts = datalore_emulator.run_starts("demo/sales-report")
    assert len(starts) == 1
    assert starts[0].run_id in datalore_emulator.runs
    assert starts[0].fault == fault.label


def test_process_true_on_status_counts_the_poll(api, datalore_emulator):
    run_id = api.start_id()
    datalore_emulator.add_faults(Fault(endpoint="status", status=502, process=True, times=2))

    assert [api.status(run_id).status_code for _ in range(2)] == [502, 502]
    finished = api.status(run_id).json()

    assert "status" not in finished, "the two faulted polls counted towards the default 2 polls"


def test_faults_are_fifo_per_endpoint(api, datalore_emulator):
    run_id = api.start_id()
    datalore_emulator.add_faults(
        Fault(endpoint="status", status=500),
        [Fault(endpoint="status", status=502, times=2), {"endpoint": "run", "status": 503}],
        {"endpoint": "status", "status": 504},
    )

    assert [api.status(run_id).status_code for _ in range(5)] == [500, 502, 502, 504, 200]
    assert api.start().status_code == 503
    assert api.start().status_code == 200


def test_pending_faults_show_remaining_times(datalore_emulator, api):
    datalore_emulator.add_faults(Fault(endpoint="status", status=503, times=3))
    api.status("whatever")

    assert datalore_emulator.pending_faults == [Fault(endpoint="status", status=503, times=2)]
    datalore_emulator.clear_faults()
    assert datalore_emulator.pending_faults == []


def test_faults_apply_to_the_interactive_endpoint(api, datalore_emulator):
    datalore_emulator.add_faults(
        Fault(endpoint="interactive", status=502),
        Fault(endpoint="interactive", status=504, process=True),
    )

    assert api.interactive().status_code == 502
    assert datalore_emulator.interactive_runs == []
    assert api.interactive().status_code == 504
    assert datalore_emulator.interactive_runs == ["demo/sales-report"]


def test_faults_apply_before_authentication(datalore_emulator):
    datalore_emulator.add_faults(Fault(endpoint="status", status=503))

    response = requests.get(f"{datalore_emulator.url}/api/run/v1/abc", timeout=10)

    assert response.status_code == 503, "an overloaded proxy answers before the API checks the token"


def test_faults_from_config(make_emulator, client_for):
    config = EmulatorConfig.from_dict(
        {
            "tokens": {"t": {"o/nb": "editor"}},
            "notebooks": [{"id": "o/nb"}],
            "faults": [{"endpoint": "run", "status": 502, "times": 2}],
        }
    )
    client = client_for(make_emulator(config), "t")

    assert [client.start("o/nb").status_code for _ in range(3)] == [502, 502, 200]


def test_faults_do_not_touch_other_paths(datalore_emulator):
    datalore_emulator.add_faults(Fault(endpoint="status", status=503))

    response = requests.get(f"{datalore_emulator.url}/nothing-here", timeout=10)

    assert response.status_code == 404
    assert len(datalore_emulator.pending_faults) == 1


def test_added_notebooks_do_not_change_runs_already_started(api, datalore_emulator):
    run_id = api.start_id()
    datalore_emulator.add_notebook(Notebook(id="demo/sales-report", polls=10, outcome="failure"))

    for _ in range(2):
        api.status(run_id)
    assert api.status(run_id).json()["success"] is True
