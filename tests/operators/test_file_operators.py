"""The file operators and the run operator's downloads over the wire (requests-mock), to local folders."""

from __future__ import annotations

import hashlib

import pytest

from airflow_provider_datalore.exceptions import DataloreDownloadAfterRunError
from airflow_provider_datalore.operators.datalore import DataloreRunNotebookOperator
from airflow_provider_datalore.operators.files import (
    DataloreDownloadFilesOperator,
    DataloreUploadFilesOperator,
)
from tests.helpers import FakeStateStore, status_body, task_context

BASE = "https://datalore.example.com"
API = f"{BASE}/api/notebook/v1"
NOTEBOOK = {"ownerId": "alice", "id": "sales"}


@pytest.fixture(autouse=True)
def connection(datalore_connection, retry_waits):
    datalore_connection(host=BASE)


def serve_tree(requests_mock, tree: dict[str, bytes]) -> None:
    """Answer /files and /file from a flat {notebook path: bytes} tree."""

    def listing(request, context):
        directory = request.json()["directory"]
        names = {}
        for path, data in tree.items():
            if path.startswith(directory + "/"):
                rest = path[len(directory) + 1 :]
                head, _, tail = rest.partition("/")
                names[head] = ("FOLDER", 0) if tail else ("FILE", len(data))
        if not names:
            context.status_code = 404
            return {"error": f"Directory not found: {directory}"}
        return {
            "files": [{"name": n, "type": t, "fileSize": s, "lastModified": 1} for n, (t, s) in names.items()]
        }

    def file(request, context):
        path = request.json()["filePath"]
        if path not in tree:
            context.status_code = 404
            return b'{"error": "File not found"}'
        return tree[path]

    requests_mock.post(f"{API}/files", json=listing)
    requests_mock.post(f"{API}/file", content=file)


def test_download_operator_writes_each_file_and_returns_the_entries(requests_mock, tmp_path):
    tree = {
        "data/notebook_files/a.csv": b"a,b\n1,2\n",
        "data/notebook_files/b.csv": b"x" * 200_000,
        "data/notebook_files/notes.txt": b"no",
    }
    serve_tree(requests_mock, tree)
    context = task_context()
    task = DataloreDownloadFilesOperator(
        task_id="download",
        notebook_id="alice/sales",
        paths="data/notebook_files/*.csv",
        destination=str(tmp_path),
    )

    entries = task.execute(context)

    assert entries == [
        {
            "source": f"data/notebook_files/{name}",
            "destination": str(tmp_path / name),
            "size": len(tree[f"data/notebook_files/{name}"]),
            "sha256": hashlib.sha256(tree[f"data/notebook_files/{name}"]).hexdigest(),
        }
        for name in ("a.csv", "b.csv")
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]
    assert (tmp_path / "b.csv").read_bytes() == tree["data/notebook_files/b.csv"]
    assert context["ti"].xcom["notebook_url"] == f"{BASE}/notebook/alice/sales"


def test_download_operator_keeps_paths_below_the_destination(requests_mock, tmp_path):
    serve_tree(requests_mock, {"data/notebook_files/a/x.csv": b"1", "data/notebook_files/b/x.csv": b"2"})

    flat = DataloreDownloadFilesOperator(
        task_id="flat",
        notebook_id="alice/sales",
        paths="data/notebook_files/**/*.csv",
        destination=str(tmp_path),
    )
    with pytest.raises(ValueError, match=r"would both be written as 'x.csv'.*keep_paths=True"):
        flat.execute(task_context())
    assert list(tmp_path.iterdir()) == []  # refused before any download

    kept = DataloreDownloadFilesOperator(
        task_id="kept",
        notebook_id="alice/sales",
        paths="data/notebook_files/**/*.csv",
        destination=f"file://{tmp_path}/out",
        keep_paths=True,
    )
    entries = kept.execute(task_context())
    assert [e["destination"] for e in entries] == [
        f"file://{tmp_path}/out/data/notebook_files/a/x.csv",
        f"file://{tmp_path}/out/data/notebook_files/b/x.csv",
    ]
    assert (tmp_path / "out/data/notebook_files/b/x.csv").read_bytes() == b"2"


def test_download_operator_glob_matching_nothing_downloads_nothing(requests_mock, tmp_path):
    serve_tree(requests_mock, {"data/notebook_files/a.csv": b"1"})
    task = DataloreDownloadFilesOperator(
        task_id="d",
        notebook_id="alice/sales",
        paths=["data/notebook_files/a.csv", "data/notebook_files/*.parquet"],
        destination=str(tmp_path),
    )

    with pytest.raises(ValueError, match=r"glob 'data/notebook_files/\*.parquet' matches no file"):
        task.execute(task_context())

    assert list(tmp_path.iterdir()) == []
    assert not any(r.url.endswith("/file") for r in requests_mock.request_history)


def test_upload_operator_refuses_a_missing_source_before_uploading_anything(requests_mock, tmp_path):
    (tmp_path / "a.csv").write_text("1")
    requests_mock.post(f"{API}/file/upload", json={"fileName": "a.csv", "status": "uploaded"})
    task = DataloreUploadFilesOperator(
        task_id="u",
        notebook_id="alice/sales",
        source=[str(tmp_path / "a.csv"), str(tmp_path / "missing.csv")],
    )

    with pytest.raises(ValueError, match=r"source '.*missing.csv' does not exist"):
        task.execute(task_context())

    assert requests_mock.call_count == 0


def test_upload_operator_refuses_a_glob_that_matches_nothing(requests_mock, tmp_path):
    task = DataloreUploadFilesOperator(task_id="u", notebook_id="alice/sales", source=f"{tmp_path}/*.csv")

    with pytest.raises(ValueError, match=r"source glob '.*\*.csv' matches no file"):
        task.execute(task_context())

    assert requests_mock.call_count == 0


@pytest.mark.parametrize("directory", ["../x", "/abs", "data/\x00"])
def test_upload_operator_refuses_a_bad_directory(requests_mock, tmp_path, directory):
    (tmp_path / "a.csv").write_text("1")
    task = DataloreUploadFilesOperator(
        task_id="u", notebook_id="alice/sales", source=str(tmp_path / "a.csv"), directory=directory
    )
    with pytest.raises(ValueError, match="notebook directory .* is not valid"):
        task.execute(task_context())
    assert requests_mock.call_count == 0


def run_operator(**kwargs):
    return DataloreRunNotebookOperator(task_id="run", notebook_id="alice/sales", poll_interval=0.01, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (
            {"download_paths": "data/notebook_files/out.csv"},
            "download_paths is set but not download_to: set the folder",
        ),
        ({"download_to": "/tmp/x"}, "download_to is set but not download_paths or download_artifacts"),
        (
            {"download_paths": "data/out.csv", "download_to": "/tmp/x", "wait_for_termination": False},
            "downloads need wait_for_termination=True",
        ),
        (
            {"download_paths": "../out.csv", "download_to": "/tmp/x"},
            "notebook path '../out.csv' is not valid",
        ),
        ({"download_artifacts": True}, "download_artifacts is set but not download_to"),
        ({"download_artifacts": "yes", "download_to": "/tmp/x"}, "download_artifacts 'yes' is not valid"),
        (
            {"download_paths": "/notebook/a/b/artifacts/../x", "download_to": "/tmp/x"},
            "artifact path '/notebook/a/b/artifacts/../x' is not valid",
        ),
    ],
)
def test_run_operator_download_options_are_checked_before_any_run(requests_mock, kwargs, words):
    with pytest.raises(ValueError, match=words):
        run_operator(**kwargs).execute(task_context())
    assert requests_mock.call_count == 0


def test_run_operator_downloads_after_success(requests_mock, tmp_path):
    requests_mock.post(f"{BASE}/api/run/v1/notebook", json={"runId": "run-1"})
    requests_mock.get(f"{BASE}/api/run/v1/run-1", json=status_body())
    serve_tree(requests_mock, {"data/notebook_files/out.csv": b"a,b\n"})
    context = task_context()

    result = run_operator(download_paths=["data/notebook_files/out.csv"], download_to=str(tmp_path)).execute(
        context
    )

    assert result["success"] is True
    assert context["ti"].xcom["downloads"] == [
        {
            "source": "data/notebook_files/out.csv",
            "destination": str(tmp_path / "out.csv"),
            "size": 4,
            "sha256": hashlib.sha256(b"a,b\n").hexdigest(),
        }
    ]
    assert (tmp_path / "out.csv").read_bytes() == b"a,b\n"


@pytest.mark.parametrize("store", [None, FakeStateStore()], ids=["airflow<3.3", "task-state-store"])
def test_a_download_failing_after_a_successful_run_never_reruns_the_notebook(requests_mock, tmp_path, store):
    requests_mock.post(f"{BASE}/api/run/v1/notebook", json={"runId": "run-1"})
    requests_mock.get(f"{BASE}/api/run/v1/run-1", json=status_body())
    serve_tree(requests_mock, {"data/notebook_files/other.csv": b"1"})
    task = run_operator(download_paths="data/notebook_files/out.csv", download_to=str(tmp_path))

    with pytest.raises(Exception) as caught:
        task.execute(task_context(store))

    if store is None:
        # No re-attach below 3.3: Airflow must not retry, the error says how to fetch the files alone.
        assert isinstance(caught.value, DataloreDownloadAfterRunError)
        message = str(caught.value)
        assert (
            "Datalore run run-1 of notebook alice/sales succeeded, but downloading its files failed"
            in message
        )
        assert "download data/notebook_files/out.csv from notebook alice/sales" in message
        assert "DataloreDownloadFilesOperator" in message
    else:
        assert not isinstance(caught.value, DataloreDownloadAfterRunError)  # a retry re-attaches
    assert list(tmp_path.iterdir()) == []


ARTIFACT = "/notebook/alice/sales/artifacts/run-1/sales.ipynb"


@pytest.mark.parametrize("served", [True, False], ids=["served", "not-served"])
def test_run_operator_downloads_artifacts_where_the_server_serves_them(requests_mock, tmp_path, served):
    requests_mock.post(f"{BASE}/api/run/v1/notebook", json={"runId": "run-1"})
    requests_mock.get(f"{BASE}/api/run/v1/run-1", json=status_body())
    serve_tree(requests_mock, {ARTIFACT: b"{}"} if served else {})
    context = task_context()
    task = run_operator(download_artifacts=True, download_to=str(tmp_path))

    if served:
        task.execute(context)
        assert context["ti"].xcom["downloads"][0]["source"] == ARTIFACT
        assert (tmp_path / "sales.ipynb").read_bytes() == b"{}"
        assert requests_mock.last_request.json() == {"notebookId": NOTEBOOK, "filePath": ARTIFACT}
    else:
        with pytest.raises(DataloreDownloadAfterRunError) as caught:
            task.execute(context)
        assert "does not serve the Run API's artifacts through the Notebook API's /file" in str(caught.value)
        assert list(tmp_path.iterdir()) == []


def test_file_operators_report_the_files_they_moved_without_reading_the_connection(
    requests_mock, tmp_path, monkeypatch
):
    """What the OpenLineage callback gets comes from the task itself: the connection is not read again."""
    from airflow.providers.common.compat.sdk import BaseHook

    serve_tree(requests_mock, {"data/notebook_files/a.csv": b"a,b\n1,2\n"})
    requests_mock.post(f"{API}/file/upload", json={"fileName": "orders.csv", "status": "uploaded"})
    source = tmp_path / "in" / "orders.csv"
    source.parent.mkdir()
    source.write_bytes(b"id\n1\n")
    upload = DataloreUploadFilesOperator(task_id="upload", notebook_id="alice/sales", source=str(source))
    download = DataloreDownloadFilesOperator(
        task_id="download",
        notebook_id=f"{BASE}/notebook/alice/sales",
        paths="data/notebook_files/a.csv",
        destination=f"file://{tmp_path}/out",
    )
    upload.execute(task_context())
    download.execute(task_context())

    def no_connection(*args, **kwargs):
        raise AssertionError("the lineage callback read the connection")

    monkeypatch.setattr(BaseHook, "get_connection", no_connection)
    uploaded = upload.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in uploaded.inputs] == [("file", str(source))]
    assert [(d.namespace, d.name) for d in uploaded.outputs] == [
        (BASE, "/notebook/alice/sales/data/notebook_files/orders.csv")
    ]
    downloaded = download.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in downloaded.inputs] == [
        (BASE, "/notebook/alice/sales/data/notebook_files/a.csv")
    ]
    assert [(d.namespace, d.name) for d in downloaded.outputs] == [("file", f"{tmp_path}/out/a.csv")]
    assert uploaded.job_facets == downloaded.job_facets == {}  # they move files; they run no notebook
