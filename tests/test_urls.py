from __future__ import annotations

import pytest

from airflow_provider_datalore.urls import (
    absolute_url,
    is_loopback_url,
    normalize_base_url,
    normalize_notebook_id,
)

CLOUD = "https://datalore.jetbrains.com"
ONPREM = "https://corp.example/datalore"


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        (None, None, CLOUD),
        ("", None, CLOUD),
        ("  ", None, CLOUD),
        ("datalore.example.com", None, "https://datalore.example.com"),
        ("datalore.example.com/", None, "https://datalore.example.com"),
        ("https://datalore.example.com/", None, "https://datalore.example.com"),
        ("HTTPS://Datalore.Example.com", None, "https://datalore.example.com"),
        ("https://corp.example/datalore/", None, ONPREM),
        ("corp.example/datalore", None, ONPREM),
        ("http://127.0.0.1", 8080, "http://127.0.0.1:8080"),
        ("http://127.0.0.1:9000", 8080, "http://127.0.0.1:9000"),
        ("datalore.example.com", 8443, "https://datalore.example.com:8443"),
    ],
)
def test_base_url_is_normalized(host, port, expected):
    assert normalize_base_url(host, port) == expected


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("ftp://datalore.example.com", "has scheme 'ftp'; expected an http:// or https:// URL"),
        ("https://user:pw@datalore.example.com", "is not a server URL"),
        ("https://datalore.example.com/?a=1", "carries a query or fragment"),
        ("https://datalore.example.com:99999", "has an invalid port"),
        ("https://", "is not a server URL"),
        ("https://[", "is not a URL"),
    ],
)
def test_bad_base_url_is_rejected_with_the_value(host, message):
    with pytest.raises(ValueError, match="expected|carries") as err:
        normalize_base_url(host)
    assert repr(host) in str(err.value)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("value", "base_url", "expected"),
    [
        ("alice/sales", CLOUD, "alice/sales"),
        ("  aB3_x-9/Q7pL2mN8kR4tV6wY1zC3dE  ", CLOUD, "aB3_x-9/Q7pL2mN8kR4tV6wY1zC3dE"),
        (f"{CLOUD}/notebook/alice/sales", CLOUD, "alice/sales"),
        (f"{CLOUD}/notebook/alice/sales/", CLOUD, "alice/sales"),
        (f"{CLOUD}/notebook/alice/sales?tab=1#cell-3", CLOUD, "alice/sales"),
        (
            "http://DATALORE.jetbrains.com:443/notebook/alice/sales",
            "https://datalore.jetbrains.com:443",
            "alice/sales",
        ),
        (f"{ONPREM}/notebook/alice/sales", ONPREM, "alice/sales"),
        (f"{ONPREM}/notebook/alice/sales/", f"{ONPREM}", "alice/sales"),
        ("http://127.0.0.1:8765/notebook/demo/report", "http://127.0.0.1:8765", "demo/report"),
    ],
)
def test_notebook_id_accepts_ids_and_urls(value, base_url, expected):
    assert normalize_notebook_id(value, base_url=base_url) == expected


@pytest.mark.parametrize(
    ("value", "base_url", "message"),
    [
        ("alice", CLOUD, "is not a Datalore notebook id"),
        ("alice/sales/extra", CLOUD, "is not a Datalore notebook id"),
        ("/alice/sales", CLOUD, "is not a Datalore notebook id"),
        ("", CLOUD, "is not a Datalore notebook id"),
        ("alice/sal es", CLOUD, "is not a Datalore notebook id"),
        (42, CLOUD, "is a int; expected a string"),
        (None, CLOUD, "is a NoneType; expected a string"),
        ("https://view.datalore.jetbrains.com/notebook/Q7pL2mN8kR4tV6wY1zC3dE", CLOUD, "single id"),
        (f"{CLOUD}/projects/alice/sales", CLOUD, "is not a Datalore notebook URL"),
        ("ftp://datalore.jetbrains.com/notebook/alice/sales", CLOUD, "is not a Datalore notebook URL"),
        ("https://other.example/notebook/alice/sales", CLOUD, "points at host 'other.example'"),
        ("https://datalore.jetbrains.com:8443/notebook/alice/sales", CLOUD, "points at host"),
        (f"{CLOUD}/notebook/alice/sales", ONPREM, "points at host 'datalore.jetbrains.com'"),
        ("https://corp.example/notebook/alice/sales", ONPREM, "has path prefix ''"),
        ("https://corp.example/other/notebook/alice/sales", ONPREM, "has path prefix '/other'"),
    ],
)
def test_bad_notebook_id_names_the_value_and_the_accepted_forms(value, base_url, message):
    with pytest.raises(ValueError, match="notebook_id") as err:
        normalize_notebook_id(value, base_url=base_url)
    text = str(err.value)
    assert repr(value) in text
    assert message in text


def test_foreign_host_error_names_both_hosts():
    with pytest.raises(ValueError, match="connection's host is 'datalore.jetbrains.com'"):
        normalize_notebook_id("https://evil.example/notebook/a/b", base_url=CLOUD)


@pytest.mark.parametrize(
    ("base_url", "path", "expected"),
    [
        (CLOUD, "/notebook/u/n/artifacts/r1/a.ipynb", f"{CLOUD}/notebook/u/n/artifacts/r1/a.ipynb"),
        (ONPREM, "/notebook/u/n/a.ipynb", f"{ONPREM}/notebook/u/n/a.ipynb"),
        (ONPREM, "/datalore/notebook/u/n/a.ipynb", f"{ONPREM}/notebook/u/n/a.ipynb"),
        (CLOUD, "notebook/u/n/a.ipynb", f"{CLOUD}/notebook/u/n/a.ipynb"),
        (CLOUD, "https://files.example/a.ipynb", "https://files.example/a.ipynb"),
    ],
)
def test_absolute_url(base_url, path, expected):
    assert absolute_url(base_url, path) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:80", True),
        ("http://127.8.0.1", True),
        ("http://localhost:8080", True),
        ("http://[::1]:8080", True),
        ("http://datalore.example.com", False),
        ("http://10.0.0.1", False),
    ],
)
def test_loopback_detection(url, expected):
    assert is_loopback_url(url) is expected
