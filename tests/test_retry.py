from __future__ import annotations

import datetime

import pytest

from airflow_provider_datalore.notebook_api import endpoints as notebook_api
from airflow_provider_datalore.run_api import endpoints as run_api
from airflow_provider_datalore.transport.retry import Failure, RetryPolicy, is_retryable, parse_retry_after
from tests.retry_table import ENDPOINT_TABLE

F = Failure
#: The rows below name an endpoint by how it may be repeated: a read, and a call that starts a run.
ENDPOINT = {"GET": run_api.STATUS, "POST": run_api.START, "post": run_api.START}


@pytest.mark.parametrize(
    ("method", "status", "failure", "retry"),
    [
        # Reading a status is always safe to repeat: transient failures are retried.
        ("GET", None, F.CONNECT, True),
        ("GET", None, F.READ_TIMEOUT, True),
        ("GET", None, F.CONNECTION_LOST, True),
        ("GET", None, F.BAD_BODY, True),
        ("GET", None, F.TLS, False),
        ("GET", None, F.OTHER, False),
        ("GET", 429, None, True),
        ("GET", 500, None, True),
        ("GET", 502, None, True),
        ("GET", 503, None, True),
        ("GET", 504, None, True),
        ("GET", 501, None, False),
        ("GET", 400, None, False),
        ("GET", 401, None, False),
        ("GET", 403, None, False),
        ("GET", 404, None, False),
        ("GET", 301, None, False),
        # Starting a run: only when no run can have started.
        ("POST", None, F.CONNECT, True),
        ("POST", 429, None, True),
        ("POST", None, F.READ_TIMEOUT, False),
        ("POST", None, F.CONNECTION_LOST, False),
        ("POST", None, F.BAD_BODY, False),
        ("POST", None, F.TLS, False),
        ("POST", 500, None, False),
        ("POST", 502, None, False),
        ("POST", 503, None, False),
        ("POST", 504, None, False),
        ("POST", 400, None, False),
        ("POST", 401, None, False),
        ("POST", 403, None, False),
        ("POST", 404, None, False),
        ("post", 429, None, True),
    ],
)
def test_retry_predicate(method, status, failure, retry):
    assert is_retryable(ENDPOINT[method], status=status, failure=failure) is retry


ALL_ENDPOINTS = run_api.ENDPOINTS + notebook_api.ENDPOINTS


def test_the_endpoint_table_covers_every_endpoint_of_both_apis_once():
    assert sorted((e.api, e.name) for e in ALL_ENDPOINTS) == sorted(ENDPOINT_TABLE)


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS, ids=lambda e: f"{e.api}: {e.name}")
def test_each_endpoint_is_retried_as_its_row_says(endpoint):
    safe, starts = ENDPOINT_TABLE[(endpoint.api, endpoint.name)]
    assert (endpoint.safe_to_retry, endpoint.may_start_work) == (safe, starts)
    # The predicate reads the row, not the method: every Notebook API endpoint is a POST.
    transient = [
        (None, F.READ_TIMEOUT),
        (None, F.CONNECTION_LOST),
        (None, F.BAD_BODY),
        (502, None),
        (503, None),
    ]
    assert [is_retryable(endpoint, status=s, failure=f) for s, f in transient] == [safe] * len(transient)
    # Whatever the row, a request that never left, or a 429, is tried again; a client error never.
    assert is_retryable(endpoint, failure=F.CONNECT) and is_retryable(endpoint, status=429)
    for status in (400, 401, 403, 404, 409):
        assert not is_retryable(endpoint, status=status)
    # What is not safe says what may have happened when its fate is unknown.
    assert bool(endpoint.unknown_fate) is not safe


def test_backoff_is_exponential_with_full_jitter_and_capped(monkeypatch):
    ceilings = []
    monkeypatch.setattr(
        "airflow_provider_datalore.transport.retry.random.uniform",
        lambda lo, hi: ceilings.append((lo, hi)) or hi,
    )
    policy = RetryPolicy(max_attempts=10, base_delay=1.0, max_delay=60.0)
    delays = [policy.delay(attempt) for attempt in range(1, 9)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60]
    assert all(lo == 0 for lo, _ in ceilings)


def test_jitter_stays_within_bounds():
    policy = RetryPolicy(base_delay=2.0, max_delay=5.0)
    samples = [policy.delay(3) for _ in range(200)]
    assert all(0 <= s <= 5.0 for s in samples)
    assert len(set(samples)) > 100


def test_retry_after_wins_but_is_capped():
    policy = RetryPolicy(max_delay=60.0)
    assert policy.delay(1, retry_after=7) == 7
    assert policy.delay(1, retry_after=3600) == 60
    assert policy.delay(1, retry_after=-5) == 0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("0", 0.0),
        ("12", 12.0),
        (" 3 ", 3.0),
        ("Thu, 26 Nov 2026 12:00:30 GMT", 30.0),
        ("Thu, 26 Nov 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        ("-1", None),
    ],
)
def test_parse_retry_after(header, expected):
    now = datetime.datetime(2026, 11, 26, 12, 0, 0, tzinfo=datetime.UTC)
    assert parse_retry_after(header, now) == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_attempts": 0}, "retry_limit 0 is not valid; expected an integer >= 1"),
        ({"max_attempts": 2.5}, "retry_limit 2.5 is not valid"),
        ({"base_delay": -1}, "retry_delay -1 is not valid"),
        ({"max_delay": "60"}, "retry_max_delay '60' is not valid"),
    ],
)
def test_bad_policy(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**kwargs)
