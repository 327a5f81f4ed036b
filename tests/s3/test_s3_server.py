"""
The S3 fixtures (tests/s3_server.py), and what ObjectStoragePath on s3 does that the transfer operators
will rely on: streaming reads, writes that must not leave a partial object, and moving a key.

Each test reaches moto's server over HTTP through the AWS provider's connection, as a task would.
"""

from __future__ import annotations

import datetime
import io
import json
import os

import pytest

from tests.helpers import AIRFLOW_2, AIRFLOW_3_0, run_dag, task_states, write_parsed_dag_to_db
from tests.s3_server import NOWHERE, conn_env_var, object_storage_path

MiB = 2**20
#: s3fs's smallest part (S3's minimum for every part but the last).
PART = 5 * MiB


def write_then_fail(path, size, opened=None, **open_kwargs):
    """Write ``size`` bytes to ``path`` and raise inside the ``with``; the file goes into ``opened``."""
    with path.open("wb", block_size=PART, **open_kwargs) as f:
        if opened is not None:
            opened.append(f)
        f.write(b"z" * size)
        raise RuntimeError("boom")


def discard_inside_with(path):
    with path.open("wb") as f:
        assert callable(f.discard)
        f.write(b"z" * 10)
        f.discard()


def fail_in_transaction(path, s3_bucket):
    with path.fs.transaction:
        with path.open("wb") as f:
            f.write(b"z" * 10)
        assert s3_bucket.keys() == []
        raise RuntimeError("boom")


def test_bucket_and_connection(s3_bucket):
    assert s3_bucket.name in [b["Name"] for b in s3_bucket.client.list_buckets()["Buckets"]]
    assert s3_bucket.keys() == []
    conn = json.loads(os.environ[conn_env_var(s3_bucket.conn_id)])
    assert conn["conn_type"] == "aws"
    assert conn["extra"]["endpoint_url"] == s3_bucket.endpoint_url
    assert s3_bucket.endpoint_url.startswith("http://127.0.0.1:")


def test_connection_resolves_through_airflow(s3_bucket):
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    hook = S3Hook(aws_conn_id=s3_bucket.conn_id)
    assert hook.conn_config.get_service_endpoint_url(service_name="s3") == s3_bucket.endpoint_url
    hook.load_bytes(b"from the hook", key="hook.txt", bucket_name=s3_bucket.name)
    assert s3_bucket.read("hook.txt") == b"from the hook"


def test_no_way_to_real_aws(s3_server):
    # A client with no endpoint of its own goes to a closed loopback port, never to AWS.
    import boto3
    from botocore.config import Config
    from botocore.exceptions import EndpointConnectionError

    assert os.environ["AWS_ENDPOINT_URL"] == NOWHERE
    assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
    client = boto3.client("s3", config=Config(retries={"max_attempts": 1}))
    with pytest.raises(EndpointConnectionError, match="127.0.0.1:9"):
        client.list_buckets()


def test_write_read_list(s3_bucket):
    path = object_storage_path(f"s3://{s3_bucket.name}/in/data.csv", conn_id=s3_bucket.conn_id)
    path.write_bytes(b"a,b\n1,2\n")
    s3_bucket.path("in/other.csv").write_text("x\n")
    s3_bucket.path("in/notes.txt").write_bytes(b"n")
    s3_bucket.path("elsewhere/data.csv").write_bytes(b"e")

    assert path.read_bytes() == b"a,b\n1,2\n"
    assert s3_bucket.read("in/data.csv") == b"a,b\n1,2\n"
    assert s3_bucket.keys("in/") == ["in/data.csv", "in/notes.txt", "in/other.csv"]
    listed = sorted(p.key for p in s3_bucket.path("in/").iterdir())
    assert listed == ["in/data.csv", "in/notes.txt", "in/other.csv"]
    globbed = sorted(s3_bucket.path("in/").glob("*.csv"))
    assert [p.key for p in globbed] == ["in/data.csv", "in/other.csv"]
    # What the paths found keep: the connection (so an operator can open what it listed).
    assert {p.conn_id for p in globbed} == {s3_bucket.conn_id}
    assert [p.key for p in s3_bucket.path().glob("**/*.csv")] == [
        "elsewhere/data.csv",
        "in/data.csv",
        "in/other.csv",
    ]
    assert path.stat()["size"] == 8


def test_streaming_read_is_seekable(s3_bucket):
    s3_bucket.put("big.bin", bytes(range(256)) * 4096)  # 1 MiB
    with s3_bucket.path("big.bin").open("rb") as f:
        # ObjectStoragePath wraps the filesystem's file (for lineage); its methods are the file's.
        assert type(f).__name__ == "_TrackingFileWrapper"
        assert type(f._obj).__module__ + "." + type(f._obj).__name__ == "s3fs.core.S3File"
        assert f.seekable()
        assert f.tell() == 0
        assert f.read(3) == b"\x00\x01\x02"
        assert f.tell() == 3
        assert f.seek(0, io.SEEK_END) == MiB
        assert f.read() == b""
        assert f.seek(255) == 255
        assert f.read(2) == b"\xff\x00"
        f.seek(0)
        assert len(f.read()) == MiB


def test_streaming_write_appears_on_close(s3_bucket):
    path = s3_bucket.path("out/streamed.bin")
    with path.open("wb", block_size=PART) as f:
        assert not f.seekable()  # written forward only
        f.write(b"x" * (PART + 1))  # one part uploaded: a multipart upload is under way
        f.flush()
        assert s3_bucket.pending_uploads() == ["out/streamed.bin"]
        assert s3_bucket.keys() == []  # nothing under the key before the upload completes
        f.write(b"y")
    assert s3_bucket.keys() == ["out/streamed.bin"]
    assert s3_bucket.pending_uploads() == []
    assert path.stat()["size"] == PART + 2


@pytest.mark.parametrize("size", [10, PART + 1], ids=["one-put", "multipart"])
def test_exception_inside_write_leaves_the_object(s3_bucket, size):
    # fsspec's AbstractBufferedFile.__exit__ is close(), which commits whatever was written,
    # exception or not: a plain `with path.open("wb")` leaves a truncated object behind.
    path = s3_bucket.path("out/partial.bin")
    with pytest.raises(RuntimeError, match="boom"):
        write_then_fail(path, size)
    assert s3_bucket.keys() == ["out/partial.bin"]
    assert path.stat()["size"] == size


@pytest.mark.parametrize("size", [10, PART + 1], ids=["one-put", "multipart"])
def test_autocommit_false_then_discard_leaves_nothing(s3_bucket, size):
    # The way to write all or nothing: autocommit=False uploads the parts (always as a multipart
    # upload) but completes it only on commit(); discard() aborts it. Both after the file is closed.
    path = s3_bucket.path("out/all-or-nothing.bin")
    opened: list = []
    with pytest.raises(RuntimeError, match="boom"):
        write_then_fail(path, size, opened, autocommit=False)
    (f,) = opened
    assert s3_bucket.keys() == []
    assert s3_bucket.pending_uploads() == ["out/all-or-nothing.bin"]
    f.discard()
    assert s3_bucket.pending_uploads() == []
    assert s3_bucket.keys() == []

    with path.open("wb", block_size=PART, autocommit=False) as f:
        f.write(b"z" * size)
    assert s3_bucket.keys() == []  # closed but not committed: invisible
    f.commit()
    assert s3_bucket.keys() == ["out/all-or-nothing.bin"]
    assert path.stat()["size"] == size


def test_discard_inside_with_breaks_close(s3_bucket):
    # discard() exists on the file (fsspec's no-op, s3fs's aborts the upload and drops the buffer),
    # but called inside the `with`, the close() of __exit__ then fails on the dropped buffer.
    path = s3_bucket.path("out/discarded.bin")
    with pytest.raises(AttributeError, match="tell"):
        discard_inside_with(path)
    assert s3_bucket.keys() == []


def test_transaction_discards_on_error(s3_bucket):
    # fsspec's transaction: files opened in it commit when it ends, and are discarded on an exception.
    path = s3_bucket.path("out/in-transaction.bin")
    with pytest.raises(RuntimeError, match="boom"):
        fail_in_transaction(path, s3_bucket)
    assert s3_bucket.keys() == []
    assert s3_bucket.pending_uploads() == []


def test_rename_and_move(s3_bucket):
    # Both copy the object server-side (CopyObject: the new key appears whole, at once) and then delete
    # the old one: not atomic as a pair, both keys exist in between, and a failed delete leaves both.
    temporary = s3_bucket.path("tmp/data.part")
    temporary.write_bytes(b"payload")
    renamed = temporary.rename(s3_bucket.path("final/data.csv"))
    assert renamed.conn_id == s3_bucket.conn_id
    assert s3_bucket.keys() == ["final/data.csv"]
    assert s3_bucket.read("final/data.csv") == b"payload"

    s3_bucket.path("tmp/other.part").write_bytes(b"other")
    s3_bucket.path("tmp/other.part").move(s3_bucket.path("final/other.csv"))
    assert s3_bucket.keys() == ["final/data.csv", "final/other.csv"]

    # The path's own filesystem does the same (fs.mv = copy + rm).
    fs = temporary.fs
    fs.mv(f"{s3_bucket.name}/final/other.csv", f"{s3_bucket.name}/final/moved.csv")
    assert s3_bucket.keys() == ["final/data.csv", "final/moved.csv"]


def test_rename_overwrites(s3_bucket):
    s3_bucket.put("final/data.csv", b"old")
    s3_bucket.path("tmp/data.part").write_bytes(b"new")
    s3_bucket.path("tmp/data.part").rename(s3_bucket.path("final/data.csv"))
    assert s3_bucket.keys() == ["final/data.csv"]
    assert s3_bucket.read("final/data.csv") == b"new"


@pytest.mark.integration
def test_connection_resolves_inside_dag_test(airflow_db, s3_bucket):
    if AIRFLOW_2:
        from airflow.decorators import task
        from airflow.models.dag import DAG
    else:
        from airflow.sdk import DAG, task

    uri, conn_id = s3_bucket.uri("from-task/out.txt"), s3_bucket.conn_id

    @task
    def write_to_s3():
        path = object_storage_path(uri, conn_id=conn_id)
        path.write_bytes(b"written by a task")
        return path.stat()["size"]

    with DAG(
        "s3_fixture_check",
        schedule=None,
        start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        catchup=False,
    ) as dag:
        write_to_s3()

    if not AIRFLOW_2 and not AIRFLOW_3_0:
        write_parsed_dag_to_db(dag)
    dag_run = run_dag(dag)
    assert task_states(dag_run) == {"write_to_s3": "success"}
    assert s3_bucket.read("from-task/out.txt") == b"written by a task"
