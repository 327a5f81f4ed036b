"""The Notebook API's file methods at the wire: exact requests, hostile listings, bad paths, older servers."""

from __future__ import annotations

import hashlib

import pytest

from airflow_provider_datalore.exceptions import (
    DataloreApiUnavailableError,
    DataloreNotFoundError,
    DataloreResponseError,
)
from airflow_provider_datalore.hooks.datalore import DataloreHook
from airflow_provider_datalore.notebook_api.files import NotebookFile
from tests.constants import TOKEN

BASE = "https://datalore.example.com"
API = f"{BASE}/api/notebook/v1"
NOTEBOOK = {"ownerId": "alice", "id": "sales"}
NO_NOTEBOOK_API = "this Datalore server has no Notebook API; it needs Datalore 2026.2 or later"
HTML = "<!DOCTYPE html><html><head><title>Datalore</title></head><body>app</body></html>"


@pytest.fixture
def hook(datalore_connection, retry_waits):
    datalore_connection(host=BASE)
    return DataloreHook()


def listing(*entries):
    return {
        "files": [
            {"name": n, "type": t, "fileSize": s, "lastModified": 1_700_000_000_000} for n, t, s in entries
        ]
    }


def test_list_files_sends_the_directory_and_reads_the_entries(hook, requests_mock):
    requests_mock.post(f"{API}/files", json=listing(("out.csv", "FILE", 12), ("plots", "FOLDER", 0)))

    entries = hook.list_files(f"{BASE}/notebook/alice/sales", "data/notebook_files/")

    assert entries == [
        NotebookFile("data/notebook_files/out.csv", "FILE", 12, 1_700_000_000_000),
        NotebookFile("data/notebook_files/plots", "FOLDER", 0, 1_700_000_000_000),
    ]
    request = requests_mock.last_request
    assert request.method == "POST"
    assert request.json() == {"notebookId": NOTEBOOK, "directory": "data/notebook_files"}
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_listing_is_a_read_and_is_retried(hook, requests_mock):
    requests_mock.post(
        f"{API}/files", [{"status_code": 503, "text": "busy"}, {"json": listing(("a.csv", "FILE", 1))}]
    )
    assert [entry.name for entry in hook.list_files("alice/sales")] == ["a.csv"]
    assert requests_mock.call_count == 2


@pytest.mark.parametrize("name", ["../x", "a/b", "..", "", "x\x00y", "a\\b", "x\nINFO forged"])
def test_a_listing_naming_an_entry_that_is_not_a_plain_name_is_refused(hook, requests_mock, name):
    requests_mock.post(f"{API}/files", json=listing(("ok.csv", "FILE", 1), (name, "FILE", 1)))

    with pytest.raises(DataloreResponseError) as caught:
        hook.list_files("alice/sales")

    message = str(caught.value)
    assert "list data/notebook_files of notebook alice/sales (POST /api/notebook/v1/files)" in message
    assert "not a plain file name" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "path", ["../secrets", "data/../../etc/passwd", "/etc/passwd", "a\x00b", "", "  ", "a\\..\\b", None, 3]
)
def test_a_bad_notebook_path_sends_nothing(hook, requests_mock, path, tmp_path):
    requests_mock.post(f"{API}/file/exists", json={"exists": True})
    requests_mock.post(f"{API}/file", content=b"x")

    with pytest.raises(ValueError, match="notebook path .* is not valid; expected a path relative to"):
        hook.file_exists("alice/sales", path)
    with pytest.raises(ValueError, match="is not valid"):
        hook.download_file("alice/sales", path, tmp_path / "out")

    assert requests_mock.call_count == 0
    assert list(tmp_path.iterdir()) == []


def test_file_exists(hook, requests_mock):
    requests_mock.post(f"{API}/file/exists", [{"json": {"exists": True}}, {"json": {"exists": False}}])

    assert hook.file_exists("alice/sales", "data/notebook_files/./out.csv") is True
    assert hook.file_exists("alice/sales", "data/notebook_files/missing.csv") is False
    assert [r.json()["filePath"] for r in requests_mock.request_history] == [
        "data/notebook_files/out.csv",
        "data/notebook_files/missing.csv",
    ]


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (404, HTML, {"Content-Type": "text/html"}),
        (404, '{"timestamp": 1, "status": 404, "error": "Not Found", "path": "/api/notebook/v1/files"}', {}),
        (200, HTML, {"Content-Type": "text/html"}),
    ],
    ids=["404-html", "404-spring", "200-html"],
)
def test_a_server_without_the_notebook_api_is_named(hook, requests_mock, status, body, headers):
    requests_mock.post(f"{API}/files", status_code=status, text=body, headers=headers)

    with pytest.raises(DataloreApiUnavailableError) as caught:
        hook.list_files("alice/sales")

    message = str(caught.value)
    assert NO_NOTEBOOK_API in message
    assert "list data/notebook_files of notebook alice/sales (POST /api/notebook/v1/files)" in message
    assert "datalore_default" in message


def test_a_missing_file_is_not_found_naming_the_path(hook, requests_mock, tmp_path):
    requests_mock.post(f"{API}/file", status_code=404, json={"error": "File not found: data/x.csv"})

    with pytest.raises(DataloreNotFoundError) as caught:
        hook.download_file("alice/sales", "data/x.csv", tmp_path / "x.csv")

    assert "download data/x.csv from notebook alice/sales (POST /api/notebook/v1/file, HTTP 404)" in str(
        caught.value
    )
    assert not isinstance(caught.value, DataloreApiUnavailableError)
    assert list(tmp_path.iterdir()) == []


def test_an_html_page_instead_of_a_file_writes_nothing(hook, requests_mock, tmp_path):
    requests_mock.post(f"{API}/file", text=HTML, headers={"Content-Type": "text/html; charset=utf-8"})

    with pytest.raises(DataloreApiUnavailableError, match=NO_NOTEBOOK_API):
        hook.download_file("alice/sales", "data/notebook_files/out.csv", tmp_path / "out.csv")

    assert list(tmp_path.iterdir()) == []


def test_download_file_writes_the_file_whole_under_its_name(hook, requests_mock, tmp_path):
    data = bytes(range(256)) * 1000
    requests_mock.post(f"{API}/file", content=data, headers={"Content-Type": "application/octet-stream"})

    done = hook.download_file("alice/sales", "data/notebook_files/out.bin", tmp_path / "sub" / "out.bin")

    assert (tmp_path / "sub" / "out.bin").read_bytes() == data
    assert (done.size, done.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["out.bin"]  # no temporary file left
    assert requests_mock.last_request.json() == {
        "notebookId": NOTEBOOK,
        "filePath": "data/notebook_files/out.bin",
    }


def test_a_download_over_max_bytes_leaves_nothing(hook, requests_mock, tmp_path):
    requests_mock.post(f"{API}/file", content=b"x" * 5000)
    (tmp_path / "out.bin").write_bytes(b"yesterday's")

    with pytest.raises(DataloreResponseError, match="max_bytes=1000"):
        hook.download_file("alice/sales", "data/out.bin", tmp_path / "out.bin", max_bytes=1000)

    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]
    assert (tmp_path / "out.bin").read_bytes() == b"yesterday's"  # the old file, untouched


def test_glob_files_walks_only_the_folders_it_can_match(hook, requests_mock):
    tree = {
        "data/notebook_files": listing(("a.csv", "FILE", 1), ("b.txt", "FILE", 1), ("sub", "FOLDER", 0)),
        "data/notebook_files/sub": listing(("c.csv", "FILE", 1), ("deep", "FOLDER", 0)),
        "data/notebook_files/sub/deep": listing(("d.csv", "FILE", 1)),
    }
    requests_mock.post(f"{API}/files", json=lambda request, context: tree[request.json()["directory"]])

    flat = hook.glob_files("alice/sales", "data/notebook_files/*.csv")
    assert [entry.path for entry in flat] == ["data/notebook_files/a.csv"]
    assert requests_mock.call_count == 1  # "*" does not go below the folder

    deep = hook.glob_files("alice/sales", "data/notebook_files/**/*.csv")
    assert [entry.path for entry in deep] == [
        "data/notebook_files/a.csv",
        "data/notebook_files/sub/c.csv",
        "data/notebook_files/sub/deep/d.csv",
    ]


def test_a_glob_that_matches_nothing_names_the_glob_and_the_folder(hook, requests_mock):
    requests_mock.post(f"{API}/files", json=listing(("a.csv", "FILE", 1)))

    with pytest.raises(ValueError) as caught:
        hook.glob_files("alice/sales", "data/notebook_files/*.parquet")

    assert str(caught.value) == (
        "glob 'data/notebook_files/*.parquet' matches no file in notebook folder data/notebook_files "
        "(listed, and below it)"
    )
