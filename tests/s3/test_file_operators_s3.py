"""
The file operators with S3 on Airflow's side: moto's server on loopback, the AWS provider's connection,
the emulator on the other side. What a user with an ``s3://`` lake sees: the objects, their bytes, XCom,
and no partial or temporary object after a failure.
"""

from __future__ import annotations

import hashlib

import pytest

from airflow_provider_datalore.hooks.datalore import DataloreHook
from airflow_provider_datalore.operators.files import (
    DataloreDownloadFilesOperator,
    DataloreUploadFilesOperator,
)
from tests.helpers import fast, run_dag, task_context, task_states, xcom

NOTEBOOK = "demo/sales-report"
MiB = 2**20


def notebook_file(path: str) -> bytes:
    import io

    sink = io.BytesIO()
    DataloreHook().download_file(NOTEBOOK, path, sink)
    return sink.getvalue()


@pytest.fixture
def s3_lake(s3_bucket, monkeypatch):
    """The files example's lake in the test's bucket, set before the DAG is parsed."""
    monkeypatch.setenv("DATALORE_EXAMPLE_LAKE", s3_bucket.uri("lake").rstrip("/"))
    monkeypatch.setenv("DATALORE_EXAMPLE_LAKE_CONN_ID", s3_bucket.conn_id)
    return s3_bucket


@pytest.mark.integration
def test_files_example_with_an_s3_lake(s3_lake, example_dags, emulator, trigger_runs):
    bucket = s3_lake
    dag_run = run_dag(fast(example_dags.get_dag("datalore_files_in_and_out"), deferrable=True))

    assert task_states(dag_run) == {
        "extract": "success",
        "upload_orders": "success",
        "run_report": "success",
        "read_summary": "success",
    }
    day = dag_run.logical_date.strftime("%Y-%m-%d")
    assert bucket.keys() == [f"lake/extracts/{day}/orders.csv", f"lake/reports/{day}/summary.csv"]
    extract = bucket.read(f"lake/extracts/{day}/orders.csv")
    assert notebook_file("data/notebook_files/orders.csv") == extract  # read from S3, streamed up
    summary = bucket.read(f"lake/reports/{day}/summary.csv")
    assert summary == b"region,amount\nEMEA,162.50\nAMER,99.00\n"
    assert xcom(dag_run, "run_report", "downloads") == [
        {
            "source": "data/notebook_files/summary.csv",
            "destination": bucket.uri(f"lake/reports/{day}/summary.csv"),
            "size": len(summary),
            "sha256": hashlib.sha256(summary).hexdigest(),
        }
    ]
    assert xcom(dag_run, "read_summary") == 2
    assert bucket.pending_uploads() == []
    assert len(trigger_runs) == 1


def test_upload_from_an_s3_glob_streams_each_object(s3_bucket, emulator):
    big = bytes(range(256)) * (12 * MiB // 256)  # several of s3fs's read blocks
    s3_bucket.put("in/big.bin", big)
    s3_bucket.put("in/small.csv", b"a,b\n1,2\n")
    s3_bucket.put("other/skip.csv", b"no")
    task = DataloreUploadFilesOperator(
        task_id="upload",
        notebook_id=NOTEBOOK,
        source=s3_bucket.uri("in/*"),
        source_conn_id=s3_bucket.conn_id,
    )

    entries = task.execute(task_context())

    assert entries == [
        {"path": f"data/notebook_files/{name}", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in (("big.bin", big), ("small.csv", b"a,b\n1,2\n"))
    ]
    assert notebook_file("data/notebook_files/big.bin") == big
    uploads = emulator.requests(path_contains="/file/upload")
    assert [e.body["file"]["name"] for e in uploads] == ["big.bin", "small.csv"]


def download_task(s3_bucket, paths, **kwargs):
    return DataloreDownloadFilesOperator(
        task_id="download",
        notebook_id=NOTEBOOK,
        paths=paths,
        destination=s3_bucket.uri("out/"),
        destination_conn_id=s3_bucket.conn_id,
        **kwargs,
    )


def put_notebook_file(name: str, data: bytes) -> None:
    import io

    DataloreHook().upload_file(NOTEBOOK, io.BytesIO(data), name=name)


def test_download_to_s3_writes_whole_objects_and_no_temporary_key(s3_bucket, emulator):
    big = hashlib.sha256(b"seed").digest() * (11 * MiB // 32)  # more than two of s3fs's 5 MiB parts
    put_notebook_file("big.bin", big)
    put_notebook_file("empty.txt", b"")
    s3_bucket.put("out/big.bin", b"yesterday's")

    entries = download_task(
        s3_bucket, ["data/notebook_files/big.bin", "data/notebook_files/empty.txt"]
    ).execute(task_context())

    assert [(e["destination"], e["size"]) for e in entries] == [
        (s3_bucket.uri("out/big.bin"), len(big)),
        (s3_bucket.uri("out/empty.txt"), 0),
    ]
    assert entries[0]["sha256"] == hashlib.sha256(big).hexdigest()
    assert s3_bucket.keys() == ["out/big.bin", "out/empty.txt"]  # replaced in place, no .part key
    assert s3_bucket.read("out/big.bin") == big
    assert s3_bucket.read("out/empty.txt") == b""
    assert s3_bucket.pending_uploads() == []


def test_a_download_cut_mid_file_is_retried_into_a_new_upload(s3_bucket, emulator, retry_waits):
    data = bytes(range(251)) * (8 * MiB // 251)
    put_notebook_file("cut.bin", data)
    emulator.add_faults({"endpoint": "file", "action": "cut", "size": 6 * MiB})

    (entry,) = download_task(s3_bucket, "data/notebook_files/cut.bin").execute(task_context())

    assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert s3_bucket.read("out/cut.bin") == data
    assert s3_bucket.pending_uploads() == []  # the first attempt's upload was aborted
    downloads = [e for e in emulator.journal if e.path == "/api/notebook/v1/file"]
    assert [e.fault for e in downloads] == ["cut", None]


def test_a_download_that_fails_leaves_no_object_and_no_upload(s3_bucket, emulator, retry_waits):
    put_notebook_file("cut.bin", b"x" * (7 * MiB))
    s3_bucket.put("out/cut.bin", b"the previous version")
    emulator.add_faults({"endpoint": "file", "action": "cut", "size": 6 * MiB, "times": 10})

    with pytest.raises(
        Exception, match=r"download data/notebook_files/cut.bin from notebook demo/sales-report"
    ):
        download_task(s3_bucket, "data/notebook_files/cut.bin").execute(task_context())

    assert s3_bucket.keys() == ["out/cut.bin"]
    assert s3_bucket.read("out/cut.bin") == b"the previous version"  # as it was
    assert s3_bucket.pending_uploads() == []


def test_a_download_over_max_bytes_writes_nothing(s3_bucket, emulator):
    put_notebook_file("big.bin", b"y" * (2 * MiB))

    with pytest.raises(Exception, match="max_bytes"):
        download_task(s3_bucket, "data/notebook_files/big.bin", max_bytes=MiB).execute(task_context())

    assert s3_bucket.keys() == []
    assert s3_bucket.pending_uploads() == []


def test_a_destination_bucket_that_does_not_exist(s3_bucket, emulator):
    put_notebook_file("a.csv", b"1")
    task = DataloreDownloadFilesOperator(
        task_id="download",
        notebook_id=NOTEBOOK,
        paths="data/notebook_files/a.csv",
        destination=f"s3://{s3_bucket.name}-missing/out/",
        destination_conn_id=s3_bucket.conn_id,
    )

    with pytest.raises(Exception) as caught:
        task.execute(task_context())

    assert "NoSuchBucket" in repr(caught.value) or "does not exist" in str(caught.value)
    assert s3_bucket.keys() == []
