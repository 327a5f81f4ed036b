"""DataloreHook against the emulator over real HTTP(S): async twins, TLS, faults, test_connection."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_datalore.exceptions import (
    DataloreForbiddenError,
    DataloreNotFoundError,
    DataloreRequestError,
    DataloreRunMayHaveStartedError,
)
from airflow_provider_datalore.hooks.datalore import DataloreHook
from tests.constants import TOKEN


def test_sync_and_async_twins_return_the_same_run(emulator):
    hook = DataloreHook()
    run_id = hook.run_notebook("demo/sales-report", parameters={"region": "EU"})
    sync_run = hook.get_run(run_id)
    async_run = asyncio.run(DataloreHook().a_get_run(run_id))
    assert sync_run.run_id == async_run.run_id == run_id
    assert sync_run.notebook_url == async_run.notebook_url == f"{emulator.url}/notebook/demo/sales-report"
    assert emulator.runs[run_id].parameters == [{"name": "region", "value": "EU"}]


def test_wait_for_run_against_the_emulator(emulator):
    hook = DataloreHook()
    run = hook.wait_for_run(hook.run_notebook("demo/sales-report"), poll_interval=0.01, timeout=10)
    assert run.is_successful
    assert [a.name for a in run.artifacts] == ["sales-report.ipynb"]


def test_viewer_gets_403_and_unknown_notebook_404(emulator):
    hook = DataloreHook()
    with pytest.raises(DataloreForbiddenError, match="view-only access to notebook demo/read-only"):
        hook.run_notebook("demo/read-only")
    with pytest.raises(DataloreNotFoundError, match="notebook demo/unknown is not shared with the API token"):
        hook.run_notebook("demo/unknown")
    assert emulator.runs == {}


def test_post_dropped_after_the_run_started_is_not_retried(emulator, retry_waits):
    emulator.add_faults({"endpoint": "run", "action": "drop", "process": True})
    with pytest.raises(DataloreRunMayHaveStartedError, match="may have reached Datalore"):
        DataloreHook().run_notebook("demo/sales-report")
    assert len(emulator.runs) == 1
    assert len(emulator.requests(method="POST")) == 1


def test_post_500_is_not_retried(emulator, retry_waits):
    emulator.add_faults({"endpoint": "run", "status": 500, "process": True})
    with pytest.raises(DataloreRunMayHaveStartedError):
        DataloreHook().run_notebook("demo/sales-report")
    assert len(emulator.requests(method="POST")) == 1


def test_post_429_is_retried_and_starts_exactly_one_run(emulator, retry_waits):
    emulator.add_faults({"endpoint": "run", "status": 429, "retry_after": "0", "times": 2})
    run_id = DataloreHook().run_notebook("demo/sales-report")
    assert list(emulator.runs) == [run_id]
    assert [e.status for e in emulator.requests(method="POST")] == [429, 429, 200]


def test_post_to_a_closed_port_is_retried_then_fails_without_a_run(datalore_connection, retry_waits):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    datalore_connection(host=f"http://127.0.0.1:{port}")
    with pytest.raises(DataloreRequestError, match="after 5 attempts: connect") as err:
        DataloreHook().run_notebook("demo/sales-report")
    assert not isinstance(err.value, DataloreRunMayHaveStartedError)


def test_read_timeout_on_status_is_retried(emulator, datalore_connection, retry_waits):
    datalore_connection(host=emulator.url, extra={"timeout": 0.3})
    hook = DataloreHook()
    run_id = hook.run_notebook("demo/sales-report")
    emulator.add_faults({"endpoint": "status", "action": "delay", "seconds": 1.0})
    assert hook.get_run(run_id).run_id == run_id
    assert len(emulator.requests(method="GET")) == 2


def test_async_status_survives_reset_and_malformed_json(emulator, retry_waits):
    run_id = DataloreHook().run_notebook("demo/sales-report")
    emulator.add_faults(
        {"endpoint": "status", "action": "reset"}, {"endpoint": "status", "action": "malformed_json"}
    )
    run = asyncio.run(DataloreHook().a_get_run(run_id))
    assert run.run_id == run_id
    assert [e.fault for e in emulator.requests(method="GET")][:2] == ["reset", "malformed_json"]


def test_an_unchanged_status_reply_is_read_once(emulator, caplog):
    # A trigger reads a running run's reply hundreds of times, mostly the same bytes: those are parsed
    # (and what is odd in them logged) once; a reply that changes is read again.
    run_id = DataloreHook().run_notebook("demo/sales-report")
    odd = {"runId": run_id, "status": "running", "success": "maybe"}
    changed = {**odd, "status": "cell 2 of 3"}
    emulator.add_faults(
        *({"endpoint": "status", "status": 200, "body": body} for body in (odd, odd, changed))
    )

    async def three_polls():
        hook = DataloreHook()
        async with hook:
            return [await hook.a_get_run(run_id) for _ in range(3)]

    with caplog.at_level("WARNING"):
        runs = asyncio.run(three_polls())
    assert [run.status for run in runs] == ["running", "running", "cell 2 of 3"]
    assert runs[0] is runs[1]
    assert len(emulator.requests(method="GET")) == 3
    assert [m for m in caplog.messages if m.startswith("Ignoring success=")] == [
        f"Ignoring success='maybe' in Datalore's status response for run {run_id}: not a boolean."
    ] * 2


def test_a_large_status_reply_is_not_kept(emulator, monkeypatch):
    # Only small replies are kept to compare the next one with: a thousand triggers must not hold a
    # hostile server's megabytes each.
    from airflow_provider_datalore.transport import aio

    monkeypatch.setattr(aio, "KEPT_REPLY_BYTES", 100)
    run_id = DataloreHook().run_notebook("demo/sales-report")
    small = {"runId": run_id, "status": "running"}
    large = {**small, "status": "x" * 200}
    emulator.add_faults(
        *({"endpoint": "status", "status": 200, "body": body} for body in (small, large, large))
    )

    async def three_polls():
        hook = DataloreHook()
        async with hook:
            runs = [await hook.a_get_run(run_id) for _ in range(3)]
            return runs, hook._async_transport._last_parsed

    (kept, big, again), last = asyncio.run(three_polls())
    assert kept.status == "running"
    assert big == again and big is not again
    assert last is None


def test_async_status_retries_a_cancelled_error_nobody_asked_for(emulator, monkeypatch, retry_waits):
    # What aiohttp 3.9.0 does after a timed-out poll: the next read on the connection raises a bare
    # CancelledError although nothing cancelled the task. The trigger must poll again, not end.
    from airflow_provider_datalore.transport import aio

    run_id = DataloreHook().run_notebook("demo/sales-report")
    real_read_body = aio._read_body
    raised = []

    async def read_body(response, limit):
        if not raised:
            raised.append(True)
            raise asyncio.CancelledError
        return await real_read_body(response, limit)

    monkeypatch.setattr(aio, "_read_body", read_body)
    assert asyncio.run(DataloreHook().a_get_run(run_id)).run_id == run_id
    assert len(emulator.requests(method="GET")) == 2
    assert retry_waits == [(1, None)]


def test_async_status_ends_when_its_task_is_cancelled(emulator, retry_waits):
    run_id = DataloreHook().run_notebook("demo/sales-report")
    emulator.add_faults({"endpoint": "status", "action": "delay", "seconds": 5})

    async def cancelled_mid_poll():
        poll = asyncio.ensure_future(DataloreHook().a_get_run(run_id))
        while not emulator.requests(method="GET"):
            await asyncio.sleep(0.01)
        poll.cancel()
        await poll

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(cancelled_mid_poll())
    assert len(emulator.requests(method="GET")) == 1
    assert retry_waits == []


@pytest.mark.parametrize(
    ("token", "prefix", "ok", "message"),
    [
        (TOKEN, "", True, "the Run API answered and accepted the API token"),
        ("wrong-token", "", False, "refused the API token (HTTP 401)"),
        (TOKEN, "/wrong-prefix", False, "does not answer like the Datalore Run API (HTTP 404"),
    ],
)
def test_test_connection_against_the_emulator(emulator, datalore_connection, token, prefix, ok, message):
    datalore_connection(host=emulator.url + prefix, password=token)
    result = DataloreHook().test_connection()
    assert result[0] is ok
    assert message in result[1]
    assert TOKEN not in result[1]
    assert emulator.runs == {}
    assert all(e.method == "GET" for e in emulator.journal)


def test_test_connection_unknown_host(datalore_connection):
    datalore_connection(host="https://datalore.invalid")
    ok, message = DataloreHook().test_connection()
    assert ok is False
    assert "connect" in message


def test_tls_with_the_emulators_ca(datalore_connection):
    from airflow_provider_datalore.emulator import DataloreEmulator, EmulatorConfig, Notebook

    config = EmulatorConfig(
        tokens={TOKEN: {"demo/nb": "editor"}}, notebooks=[Notebook(id="demo/nb", polls=0)]
    )
    with DataloreEmulator(config, tls=True) as emulator:
        datalore_connection(host=emulator.url, extra={"ca_bundle": emulator.ca_file})
        hook = DataloreHook()
        run_id = hook.run_notebook("demo/nb")
        assert hook.get_run(run_id).is_successful
        assert asyncio.run(DataloreHook().a_get_run(run_id)).is_successful
        assert DataloreHook().test_connection()[0] is True


def test_tls_without_the_ca_fails_clearly_and_is_not_retried(datalore_connection, retry_waits):
    from airflow_provider_datalore.emulator import DataloreEmulator
    from airflow_provider_datalore.exceptions import DataloreConfigError

    with DataloreEmulator(tls=True) as emulator:
        datalore_connection(host=emulator.url)
        with pytest.raises(DataloreConfigError, match="TLS verification failed.*set 'CA bundle path'"):
            DataloreHook().get_run("r1")
        with pytest.raises(DataloreConfigError, match="TLS verification failed"):
            asyncio.run(DataloreHook().a_get_run("r1"))
        assert emulator.journal == []


def test_on_premises_prefix(datalore_connection):
    from airflow_provider_datalore.emulator import DataloreEmulator, EmulatorConfig, Notebook

    config = EmulatorConfig(
        tokens={TOKEN: {"team/nb": "editor"}}, notebooks=[Notebook(id="team/nb", polls=0)]
    )
    with DataloreEmulator(config, prefix="/datalore") as emulator:
        datalore_connection(host=emulator.url)
        hook = DataloreHook()
        run = hook.get_run(hook.run_notebook(f"{emulator.url}/notebook/team/nb"))
        assert run.notebook_url == f"{emulator.url}/notebook/team/nb"
        assert run.artifacts[0].url.startswith(f"{emulator.url}/notebook/team/nb/")
        assert {e.path.split("/api/")[0] for e in emulator.journal} == {"/datalore"}


def test_async_polls_honour_proxy_settings_like_sync_ones(emulator, monkeypatch, retry_waits):
    """A proxy in the environment applies to the trigger's polls as it does to requests (sync)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_proxy = f"http://127.0.0.1:{sock.getsockname()[1]}"
    run_id = DataloreHook().run_notebook("demo/sales-report")
    monkeypatch.setenv("HTTP_PROXY", dead_proxy)
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(DataloreRequestError, match="connect"):
        DataloreHook().get_run(run_id)
    with pytest.raises(DataloreRequestError, match="connect"):
        asyncio.run(DataloreHook().a_get_run(run_id))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert asyncio.run(DataloreHook().a_get_run(run_id)).run_id == run_id


def test_async_trusts_the_same_ca_bundle_as_requests(datalore_connection, monkeypatch):
    """REQUESTS_CA_BUNDLE (how many sites trust an internal CA) applies to the trigger's polls too."""
    from airflow_provider_datalore.emulator import DataloreEmulator, EmulatorConfig, Notebook

    config = EmulatorConfig(
        tokens={TOKEN: {"demo/nb": "editor"}}, notebooks=[Notebook(id="demo/nb", polls=0)]
    )
    with DataloreEmulator(config, tls=True) as emulator:
        datalore_connection(host=emulator.url)  # no ca_bundle in the connection
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_file)
        run_id = DataloreHook().run_notebook("demo/nb")
        assert asyncio.run(DataloreHook().a_get_run(run_id)).is_successful


@pytest.mark.parametrize("reply", ["spring_json", "html", "text"])
def test_test_connection_with_a_wrong_path_prefix(datalore_connection, reply):
    """A server that answers the probe with a framework's JSON 404 (or HTML) is not the Run API."""
    from airflow_provider_datalore.emulator import DataloreEmulator, EmulatorConfig

    config = EmulatorConfig.from_dict({**EmulatorConfig.default().to_dict(), "unknown_path_reply": reply})
    with DataloreEmulator(config, prefix="/datalore") as emulator:
        datalore_connection(host=emulator.url.removesuffix("/datalore"), password="emulator-token")
        ok, message = DataloreHook().test_connection()
        assert ok is False
        assert "does not answer like the Datalore Run API (HTTP 404" in message
        assert "check the URL and any path prefix" in message
        datalore_connection(host=emulator.url, password="emulator-token")
        assert DataloreHook().test_connection() == (
            True,
            f"Connected to Datalore at {emulator.url}: the Run API answered and accepted the API token. "
            "Nothing was started; whether the token may run a given notebook shows when a task runs it.",
        )


def test_kernel_status_twins_share_the_connection_and_see_the_notebook_start(emulator):
    from airflow_provider_datalore.emulator import Fault

    hook = DataloreHook()
    assert hook.get_kernel_status("demo/sales-report").state == "NOT_STARTED"
    hook.run_notebook_interactive("demo/sales-report")
    # A 503 on this POST is retried: the Notebook API's reads are POSTs, and safe to repeat.
    emulator.add_faults(Fault(endpoint="kernel_status", status=503, times=1))

    async def status_only():
        async with DataloreHook() as shared:
            return await shared.a_get_kernel_status("demo/sales-report")

    status = asyncio.run(status_only())
    # The start runs every cell in order: the first read after it sees the first one running.
    assert (status.state, status.running_cell_id) == ("BUSY", "period")
    kernel = emulator.requests(path_contains="/kernel/status")
    assert [(e.method, e.status, e.body) for e in kernel] == [
        ("POST", 200, {"notebookId": {"ownerId": "demo", "id": "sales-report"}}),
        ("POST", 503, {"notebookId": {"ownerId": "demo", "id": "sales-report"}}),
        ("POST", 200, {"notebookId": {"ownerId": "demo", "id": "sales-report"}}),
    ]
    with pytest.raises(DataloreNotFoundError, match="it was not found, or notebook demo/nope is not shared"):
        hook.get_kernel_status("demo/nope")
