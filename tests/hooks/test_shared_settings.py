"""The connection read shared by the hooks of one event loop (a triggerer's burst of triggers)."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_datalore import shared_settings
from airflow_provider_datalore.hooks.datalore import DataloreHook
from airflow_provider_datalore.loop_local import LoopLocal
from airflow_provider_datalore.shared_settings import SHARE_SECONDS, SharedSettings
from tests.constants import TOKEN


@pytest.fixture
def connection_reads(monkeypatch):
    """Count the hooks' reads of their connection (the requests a triggerer's supervisor would serve)."""
    from airflow.providers.common.compat import connection

    reads: list[str] = []
    real = connection.get_async_connection

    async def counting(conn_id, hook=None):
        reads.append(conn_id)
        await asyncio.sleep(0.01)  # a round trip to the supervisor: the other hooks start meanwhile
        return await real(conn_id, hook=hook)

    monkeypatch.setattr(connection, "get_async_connection", counting)
    return reads


def test_a_burst_of_hooks_on_one_loop_reads_the_connection_once(datalore_connection, connection_reads):
    datalore_connection(host="https://datalore.example.com")
    datalore_connection(conn_id="datalore_other", host="https://other.example.com")

    async def burst():
        hooks = [DataloreHook() for _ in range(50)] + [DataloreHook("datalore_other") for _ in range(5)]
        return await asyncio.gather(*(hook.a_get_settings() for hook in hooks))

    settings = asyncio.run(burst())
    assert sorted(connection_reads) == ["datalore_default", "datalore_other"]
    assert {s.base_url for s in settings[:50]} == {"https://datalore.example.com"}
    assert {s.base_url for s in settings[50:]} == {"https://other.example.com"}
    assert {s.token for s in settings} == {TOKEN}


def test_each_event_loop_reads_the_connection_itself(datalore_connection, connection_reads):
    datalore_connection(host="https://datalore.example.com")
    asyncio.run(DataloreHook().a_get_settings())
    datalore_connection(host="https://moved.example.com")
    assert asyncio.run(DataloreHook().a_get_settings()).base_url == "https://moved.example.com"
    assert connection_reads == ["datalore_default", "datalore_default"]


def test_a_changed_connection_reaches_hooks_started_after_the_share_time(datalore_connection, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(shared_settings, "_SHARED", LoopLocal(lambda: SharedSettings(clock=lambda: now[0])))
    datalore_connection(host="https://datalore.example.com")

    async def over_time():
        first = await DataloreHook().a_get_settings()
        datalore_connection(host="https://rotated.example.com", password="a-new-token")
        now[0] += SHARE_SECONDS - 1
        within = await DataloreHook().a_get_settings()
        now[0] += 2
        after = await DataloreHook().a_get_settings()
        return first, within, after

    first, within, after = asyncio.run(over_time())
    assert (first.base_url, within.base_url) == ("https://datalore.example.com",) * 2
    assert (after.base_url, after.token) == ("https://rotated.example.com", "a-new-token")


def test_a_failed_read_is_not_shared(datalore_connection):
    from airflow_provider_datalore.exceptions import DataloreError

    async def missing_then_defined():
        with pytest.raises(Exception, match="datalore_default"):
            await DataloreHook().a_get_settings()
        datalore_connection(host="https://datalore.example.com")
        return await DataloreHook().a_get_settings()

    settings = asyncio.run(missing_then_defined())
    assert settings.base_url == "https://datalore.example.com"
    assert not isinstance(settings, DataloreError)


@pytest.mark.parametrize(
    ("token", "password"),
    # Tokens of their own: the masker is the process's, and other tests masked the usual one.
    [
        ("dl-plain-token-4c81d2", "dl-plain-token-4c81d2"),
        ("dl-padded-token-9e37b5", "  dl-padded-token-9e37b5\n"),
    ],
    ids=["plain", "padded"],
)
def test_the_token_is_masked_in_logs_whatever_white_space_the_password_had(
    datalore_connection, token, password
):
    from airflow.providers.common.compat.sdk import redact

    datalore_connection(host="https://datalore.example.com", password=password)
    assert str(redact(f"polling with {token} now")) == f"polling with {token} now"  # not masked yet
    assert asyncio.run(DataloreHook().a_get_settings()).token == token
    assert token not in str(redact(f"polling with {token} now"))
