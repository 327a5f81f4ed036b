"""
S3 for the tests: moto's server on loopback, reached through the AWS provider's connection.

A pytest plugin (``tests/conftest.py`` loads it with ``pytest_plugins``), so any test can ask for:

- ``s3_server`` (session): one ``moto.server.ThreadedMotoServer`` on 127.0.0.1 and a free port, in a
  thread of the test process. Its ``endpoint_url``, a boto3 ``client()``, ``connection_json()`` (an
  ``aws`` connection pointing at it) and ``airflow_env(conn_id)`` (the variables an Airflow subprocess
  needs to resolve that connection: ``tests/system/deployment.py`` drops every ``AIRFLOW_*`` variable of
  this process, so pass them as its ``extra_env``).
- ``s3_bucket`` (function): a new, empty bucket of its own on that server, and a connection of its own
  (``AIRFLOW_CONN_<ID>``, set with monkeypatch) that ``ObjectStoragePath(..., conn_id=s3_bucket.conn_id)``
  and any operator given that conn_id resolve the normal Airflow way, dag.test() included.

Real S3 traffic, never a mocked client: s3fs (through the provider's ``get_fs``) and boto3 speak HTTP to
the server. Nothing can reach AWS: while the server runs, the credentials are dummies, the shared config
and credentials files are empty, the instance metadata service is off, and ``AWS_ENDPOINT_URL`` (what a
client without an endpoint of its own uses) is a closed loopback port, so a call that ignores the
connection fails at once instead of going to AWS or quietly working against moto.

Forking: the server is a thread of the test process, and serves forked children like any client. What
does not survive a fork is a filesystem: Airflow keeps one per connection id (``attach()``'s cache) and
s3fs refuses to be used in a child ("This class is not fork-safe"), so a child must not use a conn_id
whose filesystem the parent already made (give it its own ``AIRFLOW_CONN_*``). dag.test() on Airflow 3.3
runs the task in the test process itself, no fork; a real deployment's tasks are processes of their own.

The ``s3`` extra (the development environment has it; the matrix lines do not) brings moto, s3fs and the
AWS provider: without it these fixtures skip, saying so.
"""

from __future__ import annotations

import json
import logging
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

#: The region of every bucket and connection (us-east-1: CreateBucket needs no location constraint).
REGION = "us-east-1"
#: moto accepts any key pair; these only have to be there (an empty one would mean anonymous access).
ACCESS_KEY = "moto-testing-key"
SECRET_KEY = "moto-testing-secret"
#: Where a client with no endpoint of its own goes: port 9 (discard) on loopback, where nothing listens.
NOWHERE = "http://127.0.0.1:9"
#: AWS settings that could send a client elsewhere, or to other credentials: removed while the server runs.
AWS_UNSET = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_ENDPOINT_URL_S3",
    "AWS_S3_ENDPOINT",
)
SKIP_REASON = "S3 tests need the s3 extra (moto, s3fs, the AWS provider): pip install -e '.[s3]'"


def _require_s3_extra() -> None:
    for module in ("moto.server", "flask_cors", "s3fs", "airflow.providers.amazon.aws.fs.s3"):
        pytest.importorskip(module, reason=SKIP_REASON)


def aws_connection(endpoint_url: str) -> dict[str, Any]:
    """Return an ``aws`` connection to ``endpoint_url`` as Airflow reads it from ``AIRFLOW_CONN_<ID>``."""
    return {
        "conn_type": "aws",
        "login": ACCESS_KEY,
        "password": SECRET_KEY,
        "extra": {"endpoint_url": endpoint_url, "region_name": REGION},
    }


def conn_env_var(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


@dataclass(frozen=True)
class S3Server:
    """The moto server of the session."""

    endpoint_url: str
    #: The AWS variables in force while it runs (dummy keys, empty files, no metadata, no default endpoint).
    aws_env: dict[str, str]

    def client(self) -> Any:
        """Return a boto3 S3 client of the server, to set up and check what the code under test did."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def connection_json(self) -> str:
        return json.dumps(aws_connection(self.endpoint_url))

    def airflow_env(self, conn_id: str) -> dict[str, str]:
        """Return what an Airflow process needs to reach the server as ``conn_id`` (and no real AWS)."""
        return {**self.aws_env, conn_env_var(conn_id): self.connection_json()}


@dataclass(frozen=True)
class S3Bucket:
    """A bucket of one test, and the connection to reach it with."""

    name: str
    conn_id: str
    endpoint_url: str
    #: A boto3 S3 client, for assertions (``list_objects_v2``, ``list_multipart_uploads``, ...).
    client: Any

    def uri(self, key: str = "") -> str:
        return f"s3://{self.name}/{key.lstrip('/')}"

    def path(self, key: str = "") -> Any:
        """Return ``ObjectStoragePath`` of ``key`` in the bucket, with the bucket's connection."""
        return object_storage_path(self.uri(key), conn_id=self.conn_id)

    def keys(self, prefix: str = "") -> list[str]:
        """Return every key under ``prefix``, as S3 lists them (sorted)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=body)

    def pending_uploads(self) -> list[str]:
        """Return the keys of multipart uploads begun and neither completed nor aborted."""
        uploads = self.client.list_multipart_uploads(Bucket=self.name).get("Uploads", [])
        return [upload["Key"] for upload in uploads]


def object_storage_path(*args: Any, **kwargs: Any) -> Any:
    """``ObjectStoragePath(*args, **kwargs)``: ``airflow.sdk``'s on Airflow 3, ``airflow.io.path``'s on 2.11."""
    try:
        from airflow.sdk import ObjectStoragePath
    except ImportError:  # Airflow 2.11
        from airflow.io.path import ObjectStoragePath  # type: ignore[no-redef]
    return ObjectStoragePath(*args, **kwargs)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on 127.0.0.1 (a free port), with no way out to AWS while it runs."""
    _require_s3_extra()
    from moto.server import ThreadedMotoServer

    empty = Path(tempfile.mkdtemp(prefix="s3-tests-")) / "empty"
    empty.write_text("")
    aws_env = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": NOWHERE,
    }
    # werkzeug logs every request at INFO: the failing ones stay (WARNING and up for 4xx/5xx).
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with pytest.MonkeyPatch.context() as env:
        for name in AWS_UNSET:
            env.delenv(name, raising=False)
        for name, value in aws_env.items():
            env.setenv(name, value)
        # Port 0: the server binds a free port itself and says which (no race with another process).
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield S3Server(endpoint_url=f"http://{host}:{port}", aws_env=aws_env)
        finally:
            server.stop()


@pytest.fixture
def s3_bucket(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Bucket:
    """
    A new bucket and an ``aws`` connection to it (``AIRFLOW_CONN_<conn_id>``), both unique to the test.

    The connection id is new for every test as well: Airflow keeps one filesystem per connection id
    for the whole process (and s3fs caches listings in it), so no test sees another's.
    """
    suffix = secrets.token_hex(4)
    name, conn_id = f"test-{suffix}", f"s3_test_{suffix}"
    client = s3_server.client()
    client.create_bucket(Bucket=name)
    monkeypatch.setenv(conn_env_var(conn_id), s3_server.connection_json())
    return S3Bucket(name=name, conn_id=conn_id, endpoint_url=s3_server.endpoint_url, client=client)
