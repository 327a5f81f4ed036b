"""DataloreHook (sync) at the wire: what reaches the server, what the user sees back."""

from __future__ import annotations

import logging
import re

import pytest
import requests
import urllib3

from airflow_provider_datalore.exceptions import (
    DataloreAuthenticationError,
    DataloreBadRequestError,
    DataloreConfigError,
    DataloreForbiddenError,
    DataloreNotFoundError,
    DataloreRequestError,
    DataloreResponseError,
    DataloreRunMayHaveStartedError,
    DataloreRunTimeoutError,
)
from airflow_provider_datalore.hooks.datalore import DataloreHook
from tests.constants import TOKEN
from tests.helpers import status_body

BASE = "https://datalore.example.com"
RUN_URL = f"{BASE}/api/run/v1/notebook"
STATUS_URL = f"{BASE}/api/run/v1/run-1"


@pytest.fixture
def sleeps(monkeypatch):
    """Record the waits instead of sleeping; a fake monotonic clock moves on by each wait."""
    recorded: list[float] = []
    now = [1000.0]

    def sleep(seconds: float) -> None:
        recorded.append(seconds)
        now[0] += seconds

    monkeypatch.setattr("airflow_provider_datalore.transport.sync.time.sleep", sleep)
    monkeypatch.setattr("airflow_provider_datalore.hooks.datalore.time.sleep", sleep)
    monkeypatch.setattr("airflow_provider_datalore.hooks.datalore.time.monotonic", lambda: now[0])
    return recorded


@pytest.fixture
def hook(datalore_connection, sleeps):
    datalore_connection(host=BASE)
    return DataloreHook()


def connection_refused():
    reason = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: refused")
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, RUN_URL, reason=reason))


# -- starting a run ------------------------------------------------------------------------------


def test_run_notebook_sends_the_documented_request(hook, requests_mock):
    requests_mock.post(RUN_URL, json={"runId": "run-1"})
    run_id = hook.run_notebook(
        "alice/sales",
        parameters={"region": "EU", "limit": 10, "dry": False},
        update_report=True,
        direct_file_storage_write=True,
    )
    assert run_id == "run-1"
    request = requests_mock.last_request
    assert (request.method, request.url) == ("POST", RUN_URL)
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("airflow-provider-datalore/")
    assert request.timeout == 30.0
    assert request.json() == {
        "notebookId": "alice/sales",
        "parameters": [
            {"name": "region", "value": "EU"},
            {"name": "limit", "value": "10"},
            {"name": "dry", "value": "false"},
        ],
        "updateReport": "on success",
        "directFileStorageWrite": True,
    }


def test_unset_options_are_not_sent(hook, requests_mock):
    requests_mock.post(RUN_URL, json={"runId": 17})
    assert hook.run_notebook(f"{BASE}/notebook/alice/sales/") == "17"
    assert requests_mock.last_request.json() == {"notebookId": "alice/sales"}


def test_update_report_never_is_sent_when_asked(hook, requests_mock):
    requests_mock.post(RUN_URL, json={"runId": "r"})
    hook.run_notebook("alice/sales", update_report="never", direct_file_storage_write=False, parameters=[])
    assert requests_mock.last_request.json() == {
        "notebookId": "alice/sales",
        "parameters": [],
        "updateReport": "never",
        "directFileStorageWrite": False,
    }


def test_path_prefix_of_an_on_premises_server_is_kept(datalore_connection, requests_mock):
    datalore_connection(host="corp.example/datalore/")
    requests_mock.post("https://corp.example/datalore/api/run/v1/notebook", json={"runId": "r"})
    DataloreHook().run_notebook("https://corp.example/datalore/notebook/alice/sales")
    assert requests_mock.last_request.url == "https://corp.example/datalore/api/run/v1/notebook"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"notebook_id": "sales"}, "notebook_id 'sales' is not a Datalore notebook id"),
        ({"notebook_id": "https://elsewhere.example/notebook/a/b"}, "points at host 'elsewhere.example'"),
        ({"notebook_id": "a/b", "parameters": {"p": [1]}}, "parameter 'p' has value [1]"),
        ({"notebook_id": "a/b", "parameters": "p=1"}, "parameters 'p=1' is a str"),
        ({"notebook_id": "a/b", "update_report": "always"}, "update_report 'always' is not valid"),
        ({"notebook_id": "a/b", "direct_file_storage_write": "yes"}, "direct_file_storage_write 'yes'"),
    ],
)
def test_bad_arguments_fail_before_any_request(hook, requests_mock, kwargs, message):
    requests_mock.post(RUN_URL, json={"runId": "r"})
    with pytest.raises(ValueError, match="expected") as err:
        hook.run_notebook(**kwargs)
    assert message in str(err.value)
    assert requests_mock.call_count == 0


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (400, DataloreBadRequestError, "as invalid (HTTP 400): parameters[0].value must be a string"),
        (401, DataloreAuthenticationError, "check the password of Airflow connection 'datalore_default'"),
        (
            403,
            DataloreForbiddenError,
            "has view-only access to notebook alice/sales (running it needs editor access), or its scope",
        ),
        (404, DataloreNotFoundError, "notebook alice/sales is not shared with the API token"),
    ],
)
def test_client_errors_are_explained_and_never_retried(hook, requests_mock, sleeps, status, error, expected):
    requests_mock.post(RUN_URL, status_code=status, json={"error": "parameters[0].value must be a string"})
    with pytest.raises(error) as err:
        hook.run_notebook("alice/sales")
    text = str(err.value)
    assert expected in text
    assert "POST /api/run/v1/notebook" in text
    assert "parameters[0].value must be a string" in text
    assert err.value.http_status == status
    assert requests_mock.call_count == 1
    assert sleeps == []
    assert TOKEN not in text


def test_404_on_post_names_the_notebook_url(hook, requests_mock):
    requests_mock.post(RUN_URL, status_code=404, json={"error": "Not shared"})
    with pytest.raises(DataloreNotFoundError, match=f"check {BASE}/notebook/alice/sales"):
        hook.run_notebook("alice/sales")


@pytest.mark.parametrize(
    "failure",
    [
        {"status_code": 500, "json": {"error": "boom"}},
        {"status_code": 502, "text": "<html>Bad gateway</html>"},
        {"status_code": 503, "json": {"error": "busy"}},
        {"status_code": 504, "text": ""},
        {"exc": requests.exceptions.ReadTimeout("read timed out")},
        {"exc": requests.exceptions.ConnectionError("Connection aborted: RemoteDisconnected")},
        {"exc": requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead")},
        {"status_code": 200, "text": '{"runId": '},
    ],
)
def test_a_post_that_may_have_started_a_run_is_never_retried(hook, requests_mock, sleeps, failure):
    requests_mock.post(RUN_URL, [failure, {"json": {"runId": "second"}}])
    with pytest.raises(DataloreRunMayHaveStartedError) as err:
        hook.run_notebook("alice/sales")
    text = str(err.value)
    assert "may have reached Datalore" in text
    assert "It is not retried, to avoid a duplicate run" in text
    assert f"check {BASE}/notebook/alice/sales" in text
    assert requests_mock.call_count == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("reply", "shown"),
    [
        ({"id": "x"}, "names no runId"),
        ({"runId": ".."}, "has runId '..'; expected a run id"),
        ({"runId": "r1\nINFO - forged line"}, "has runId 'r1\\nINFO - forged line'"),
        ({"runId": {"deep": "x" * 100_000}}, "more characters)"),
    ],
)
def test_post_without_a_usable_run_id_says_a_run_may_have_started(hook, requests_mock, reply, shown):
    """Datalore accepted the start but named no run id that can be used: Airflow must not try again."""
    from airflow.providers.common.compat.sdk import AirflowFailException

    requests_mock.post(RUN_URL, json=reply)
    with pytest.raises(DataloreRunMayHaveStartedError, match="may be running now") as err:
        hook.run_notebook("alice/sales")
    assert isinstance(err.value, AirflowFailException)
    assert shown in str(err.value)
    assert len(str(err.value)) < 1200
    assert requests_mock.call_count == 1


def test_post_is_retried_on_429_honouring_retry_after(hook, requests_mock, sleeps):
    requests_mock.post(
        RUN_URL,
        [
            {"status_code": 429, "headers": {"Retry-After": "7"}, "json": {"error": "slow down"}},
            {"status_code": 429, "json": {"error": "slow down"}},
            {"json": {"runId": "run-1"}},
        ],
    )
    assert hook.run_notebook("alice/sales") == "run-1"
    assert requests_mock.call_count == 3
    assert sleeps[0] == 7
    assert 0 <= sleeps[1] <= 2


def test_post_is_retried_when_the_connection_was_never_established(hook, requests_mock, sleeps):
    requests_mock.post(
        RUN_URL,
        [
            {"exc": connection_refused()},
            {"exc": requests.exceptions.ConnectTimeout("connect timeout")},
            {"json": {"runId": "r"}},
        ],
    )
    assert hook.run_notebook("alice/sales") == "r"
    assert requests_mock.call_count == 3
    assert len(sleeps) == 2


def test_post_429_past_the_retry_limit_says_no_run_started(datalore_connection, requests_mock, sleeps):
    datalore_connection(host=BASE)
    requests_mock.post(RUN_URL, status_code=429, json={"error": "Too many requests"})
    with pytest.raises(DataloreRequestError) as err:
        DataloreHook(retry_limit=3).run_notebook("alice/sales")
    assert not isinstance(err.value, DataloreRunMayHaveStartedError)
    assert "after 3 attempts: HTTP 429: Too many requests" in str(err.value)
    assert requests_mock.call_count == 3
    assert len(sleeps) == 2


def test_redirects_are_not_followed(hook, requests_mock):
    requests_mock.post(
        RUN_URL, status_code=301, headers={"Location": "https://evil.example/api/run/v1/notebook"}
    )
    requests_mock.post("https://evil.example/api/run/v1/notebook", json={"runId": "stolen"})
    with pytest.raises(DataloreConfigError, match=r"redirect \(HTTP 301\) to 'https://evil.example"):
        hook.run_notebook("alice/sales")
    assert [r.url for r in requests_mock.request_history] == [RUN_URL]


# -- reading a run ---------------------------------------------------------------------------------


def test_get_run_parses_the_status(hook, requests_mock):
    requests_mock.get(STATUS_URL, json=status_body())
    run = hook.get_run("run-1")
    assert run.is_successful
    assert run.artifacts[0].url == f"{BASE}/notebook/alice/sales/artifacts/run-1/sales.ipynb"
    assert requests_mock.last_request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_get_run_survives_transient_failures(hook, requests_mock, sleeps):
    requests_mock.get(
        STATUS_URL,
        [
            {"status_code": 503, "headers": {"Retry-After": "2"}, "json": {"error": "busy"}},
            {"exc": requests.exceptions.ReadTimeout("timed out")},
            {"exc": requests.exceptions.ConnectionError("Connection reset by peer")},
            {"status_code": 200, "text": "{not json"},
            {"json": status_body()},
        ],
    )
    assert hook.get_run("run-1").is_successful
    assert requests_mock.call_count == 5
    assert sleeps[0] == 2
    assert len(sleeps) == 4


def test_get_run_gives_up_after_the_retry_limit(hook, requests_mock, sleeps):
    requests_mock.get(STATUS_URL, status_code=502, text="<html><body>Bad Gateway</body></html>")
    with pytest.raises(DataloreRequestError) as err:
        hook.get_run("run-1")
    assert str(err.value) == (
        "Could not read the status of run run-1 (GET /api/run/v1/run-1) after 5 attempts: "
        "HTTP 502: <html><body>Bad Gateway</body></html>"
    )
    assert requests_mock.call_count == 5
    assert len(sleeps) == 4


def test_get_run_malformed_body_after_retries_is_a_response_error(hook, requests_mock):
    requests_mock.get(STATUS_URL, text="[1, 2")
    with pytest.raises(DataloreResponseError, match="after 5 attempts: malformed response: not JSON"):
        hook.get_run("run-1")


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (404, DataloreNotFoundError, "run run-1 was not found"),
        (401, DataloreAuthenticationError, "The token is missing, invalid or expired"),
        (403, DataloreForbiddenError, "has no access to run run-1"),
    ],
)
def test_get_run_client_errors(hook, requests_mock, status, error, expected):
    requests_mock.get(STATUS_URL, status_code=status, json={"error": "nope"})
    with pytest.raises(error, match=expected):
        hook.get_run("run-1")
    assert requests_mock.call_count == 1


@pytest.mark.parametrize("run_id", ["", "  ", "a/b", None, 5])
def test_bad_run_id_sends_nothing(hook, requests_mock, run_id):
    with pytest.raises(ValueError, match="run_id .* is not valid; expected the run id"):
        hook.get_run(run_id)
    assert requests_mock.call_count == 0


def test_wait_for_run_polls_until_finished(hook, requests_mock, sleeps):
    requests_mock.get(
        STATUS_URL,
        [
            {"json": status_body(status="queued", success=False, endTime=None)},
            {"json": status_body(status="running", success=True, endTime=None)},
            {"json": status_body(success=False)},
        ],
    )
    run = hook.wait_for_run("run-1", poll_interval=3, timeout=60)
    assert run.is_failed
    assert sleeps == [3, 3]


def test_wait_for_run_timeout_says_the_run_goes_on(hook, requests_mock, sleeps):
    requests_mock.get(STATUS_URL, json=status_body(status="running", endTime=None))
    with pytest.raises(DataloreRunTimeoutError) as err:
        hook.wait_for_run("run-1", poll_interval=5, timeout=12)
    assert str(err.value) == (
        "Stopped waiting for Datalore run run-1 of notebook alice/sales after 12 s: it is still in "
        "progress (status 'running'). The run goes on in Datalore (the Run API cannot stop a run); "
        f"follow it at {BASE}/notebook/alice/sales."
    )
    assert requests_mock.call_count == 4
    assert sleeps == [5, 5, 2]


@pytest.mark.parametrize(
    ("name", "value"), [("poll_interval", 0), ("poll_interval", -1), ("timeout", -5), ("timeout", "1h")]
)
def test_wait_for_run_rejects_bad_intervals(hook, requests_mock, name, value):
    kwargs = {"poll_interval": 1, "timeout": 10, name: value}
    with pytest.raises(ValueError, match=f"{name} {value!r} is not valid; expected a number of seconds"):
        hook.wait_for_run("run-1", **kwargs)
    assert requests_mock.call_count == 0


# -- interactive runs ------------------------------------------------------------------------------


def test_run_notebook_interactive(hook, requests_mock):
    requests_mock.post(f"{BASE}/api/computation/v1/notebook", json={})
    assert hook.run_notebook_interactive("alice/sales") is None
    assert requests_mock.last_request.json() == {"notebookId": "alice/sales"}


def test_interactive_run_is_not_retried_after_a_500(hook, requests_mock):
    requests_mock.post(f"{BASE}/api/computation/v1/notebook", status_code=500)
    with pytest.raises(DataloreRunMayHaveStartedError, match="run interactively notebook alice/sales"):
        hook.run_notebook_interactive("alice/sales")
    assert requests_mock.call_count == 1


# -- connection ------------------------------------------------------------------------------------


def test_missing_token_fails_before_any_request(datalore_connection, requests_mock):
    datalore_connection(host=BASE, password="")
    with pytest.raises(
        DataloreConfigError, match="'datalore_default' has no Datalore API token: put the token"
    ):
        DataloreHook().run_notebook("alice/sales")
    assert requests_mock.call_count == 0


def test_empty_host_means_datalore_cloud(datalore_connection, requests_mock):
    datalore_connection(host=None)
    requests_mock.post("https://datalore.jetbrains.com/api/run/v1/notebook", json={"runId": "r"})
    assert DataloreHook().run_notebook("alice/sales") == "r"


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("ftp://datalore.example.com", "Datalore host 'ftp://datalore.example.com' has scheme 'ftp'"),
        (
            "https://datalore.example.com?x=1",
            "Datalore host 'https://datalore.example.com?x=1' carries a query",
        ),
    ],
)
def test_bad_host_is_a_config_error(datalore_connection, requests_mock, host, message):
    datalore_connection(host=host)
    with pytest.raises(
        DataloreConfigError, match=re.escape(f"Airflow connection 'datalore_default': {message}")
    ):
        DataloreHook().run_notebook("alice/sales")
    assert requests_mock.call_count == 0


def test_plain_http_to_a_remote_host_warns(datalore_connection, caplog):
    datalore_connection(host="http://datalore.example.com")
    with caplog.at_level(logging.WARNING):
        assert DataloreHook().base_url == "http://datalore.example.com"
    assert "uses plain http (http://datalore.example.com): the API token travels unencrypted" in caplog.text


def test_plain_http_to_loopback_does_not_warn(datalore_connection, caplog):
    datalore_connection(host="http://127.0.0.1:8765")
    with caplog.at_level(logging.WARNING):
        assert DataloreHook().base_url == "http://127.0.0.1:8765"
    assert "plain http" not in caplog.text


@pytest.mark.parametrize(
    ("extra", "timeout", "verify"),
    [
        ({}, 30.0, True),
        ({"timeout": 5}, 5.0, True),
        ({"timeout": "12.5", "verify_ssl": False}, 12.5, False),
        ({"verify_ssl": "false"}, 30.0, False),
        ({"extra__datalore__timeout": 9}, 9.0, True),
        ({"ca_bundle": __file__}, 30.0, __file__),
        ({"verify": __file__}, 30.0, __file__),
        ({"verify": False, "ca_bundle": __file__}, 30.0, False),
        ({"timeout": "", "ca_bundle": ""}, 30.0, True),
    ],
)
def test_extras_reach_the_request(datalore_connection, requests_mock, monkeypatch, extra, timeout, verify):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    datalore_connection(host=BASE, extra=extra)
    requests_mock.get(STATUS_URL, json=status_body())
    DataloreHook().get_run("run-1")
    assert requests_mock.last_request.timeout == timeout
    assert requests_mock.last_request.verify == verify


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"timeout": 0}, "has timeout 0 in its extras; expected a number of seconds > 0"),
        ({"timeout": "soon"}, "has timeout 'soon' in its extras"),
        ({"timeout": True}, "has timeout True"),
        ({"verify_ssl": 3}, "has verify_ssl 3 in its extras; expected true or false"),
        (
            {"ca_bundle": "/nowhere/ca.pem"},
            "has ca_bundle '/nowhere/ca.pem' in its extras; expected the path",
        ),
    ],
)
def test_bad_extras_are_config_errors(datalore_connection, requests_mock, extra, message):
    datalore_connection(host=BASE, extra=extra)
    with pytest.raises(DataloreConfigError, match="Airflow connection 'datalore_default'") as err:
        DataloreHook().get_run("run-1")
    assert message in str(err.value)
    assert requests_mock.call_count == 0


def test_one_session_is_reused(hook, requests_mock):
    requests_mock.get(STATUS_URL, json=status_body())
    hook.get_run("run-1")
    session = hook._transport.session
    hook.get_run("run-1")
    assert hook._transport.session is session


# -- test_connection -------------------------------------------------------------------------------

PROBE_URL = f"{BASE}/api/run/v1/airflow-connection-test"


@pytest.mark.parametrize(
    ("response", "ok", "message"),
    [
        ({"status_code": 404, "json": {"error": "Run not found"}}, True, f"Connected to Datalore at {BASE}"),
        (
            {"status_code": 400, "json": {"error": "Bad run id"}},
            True,
            "the Run API answered and accepted the API token",
        ),
        (
            {"status_code": 401, "json": {"error": "Token expired"}},
            False,
            "refused the API token (HTTP 401): Token expired. The token is missing, invalid or expired",
        ),
        (
            {"status_code": 404, "text": "<html>Not Found</html>"},
            False,
            "does not answer like the Datalore Run API (HTTP 404",
        ),
        ({"status_code": 200, "text": "<html>welcome</html>"}, False, "malformed response: not JSON"),
        ({"status_code": 500, "json": {"error": "down"}}, False, "HTTP 500: down"),
        ({"exc": connection_refused()}, False, "connect: ConnectionError"),
        (
            {"exc": requests.exceptions.SSLError("certificate verify failed")},
            False,
            "TLS verification failed",
        ),
    ],
)
def test_test_connection(hook, requests_mock, response, ok, message):
    requests_mock.get(PROBE_URL, **response)
    result = hook.test_connection()
    assert result[0] is ok
    assert message in result[1]
    assert TOKEN not in result[1]
    assert requests_mock.call_count == 1
    assert requests_mock.last_request.method == "GET"


def test_test_connection_without_token(datalore_connection, requests_mock):
    datalore_connection(host=BASE, password="")
    assert DataloreHook().test_connection() == (
        False,
        "Airflow connection 'datalore_default' has no Datalore API token: put the token (Datalore: Account "
        "settings > API tokens) in the connection's password",
    )
    assert requests_mock.call_count == 0


# -- secrets ---------------------------------------------------------------------------------------


def test_token_is_in_no_repr(hook):
    assert TOKEN not in repr(hook.settings)
    assert TOKEN not in repr(hook.settings.token)
    assert TOKEN not in repr(hook)
    assert TOKEN not in repr(vars(hook))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 502, 301])
def test_token_is_in_no_error_message(datalore_connection, requests_mock, sleeps, status):
    datalore_connection(host=BASE)
    echo = {"error": "bad header"}
    requests_mock.post(RUN_URL, status_code=status, json=echo, headers={"Location": f"{BASE}/x"})
    requests_mock.get(STATUS_URL, status_code=status, json=echo, headers={"Location": f"{BASE}/x"})
    hook = DataloreHook(retry_limit=2)
    for call in (lambda: hook.run_notebook("alice/sales"), lambda: hook.get_run("run-1")):
        with pytest.raises(Exception) as err:
            call()
        assert TOKEN not in str(err.value)
        assert TOKEN not in repr(err.value)
