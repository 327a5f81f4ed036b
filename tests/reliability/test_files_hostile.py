"""
Notebook files against hostile servers and bad input: nothing partial at the destination, no token shown.

Each test is one row of the table "Files: hostile servers and bad input" in docs/reliability.md
(``test_<case id with underscores>``; ``test_reliability_doc.py`` keeps the two equal). The servers are
the emulator's faults and settings, so a user can reproduce each case.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time

import pytest

from airflow_provider_datalore.emulator import DataloreEmulator, EmulatorConfig, Notebook
from airflow_provider_datalore.emulator.files import generated_sha256
from airflow_provider_datalore.exceptions import (
    DataloreApiUnavailableError,
    DataloreError,
    DataloreForbiddenError,
    DataloreRequestError,
    DataloreResponseError,
)
from airflow_provider_datalore.hooks.datalore import DataloreHook
from airflow_provider_datalore.operators.files import DataloreDownloadFilesOperator
from tests.constants import TOKEN
from tests.helpers import task_context

NB = "demo/files"
SMALL = "data/notebook_files/small.csv"
BIG = "data/notebook_files/big.bin"
BIG_SIZE = 8 * 1024 * 1024
TEN_GIB = "data/notebook_files/ten-gib.bin"
ONE_TIB = "data/notebook_files/one-tib.bin"
NO_NOTEBOOK_API = "this Datalore server has no Notebook API; it needs Datalore 2026.2 or later"


def files_emulator(**settings) -> DataloreEmulator:
    return DataloreEmulator(
        EmulatorConfig(
            tokens={
                TOKEN: {NB: "editor"},
                "run-api-token": {"notebooks": {NB: "editor"}, "scope": "run_api"},
            },
            notebooks=[
                Notebook(
                    id=NB,
                    files={
                        SMALL: "a,b\n1,2\n",
                        BIG: {"size": BIG_SIZE, "seed": 7},
                        TEN_GIB: {"size": 10 * 1024**3, "seed": 3},
                        ONE_TIB: {"size": 1024**4, "seed": 4},
                    },
                )
            ],
            **settings,
        )
    )


@pytest.fixture
def server(datalore_connection, retry_waits):
    with files_emulator() as emulator:
        datalore_connection(host=emulator.url)
        yield emulator


def nothing_but(folder, *names):
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)


def test_download_cut_mid_file(server, tmp_path):
    server.add_faults({"endpoint": "file", "action": "cut", "size": 3 * 1024 * 1024})

    done = DataloreHook().download_file(NB, BIG, tmp_path / "big.bin")

    assert (done.size, done.sha256) == (BIG_SIZE, generated_sha256(BIG_SIZE, 7))
    assert hashlib.sha256((tmp_path / "big.bin").read_bytes()).hexdigest() == done.sha256
    assert len(server.requests(path_contains="/api/notebook/v1/file")) == 2
    nothing_but(tmp_path, "big.bin")


def test_download_cut_every_time(server, tmp_path):
    server.add_faults({"endpoint": "file", "action": "cut", "size": 1024 * 1024, "times": 10})

    with pytest.raises(DataloreRequestError) as caught:
        DataloreHook(retry_limit=3).download_file(NB, BIG, tmp_path / "big.bin")

    assert f"download {BIG} from notebook {NB} (POST /api/notebook/v1/file) after 3 attempts" in str(
        caught.value
    )
    assert TOKEN not in str(caught.value)
    nothing_but(tmp_path)


def test_download_more_bytes_than_content_length(server, tmp_path):
    server.add_faults({"endpoint": "file", "action": "overlong", "size": 4096})

    done = DataloreHook().download_file(NB, SMALL, tmp_path / "small.csv")

    # The body ends where Content-Length says: what follows is not read into the file.
    assert (tmp_path / "small.csv").read_bytes() == b"a,b\n1,2\n"
    assert done.size == 8


def test_download_gzipped_though_not_asked(server, tmp_path):
    server.add_faults({"endpoint": "file", "action": "gzip_body"})

    with pytest.raises(DataloreResponseError, match="Content-Encoding 'gzip', which was not asked for"):
        DataloreHook().download_file(NB, SMALL, tmp_path / "small.csv")

    nothing_but(tmp_path)
    assert len(server.requests(path_contains="/api/notebook/v1/file")) == 1


def test_download_drips(server, tmp_path):
    server.add_faults({"endpoint": "file", "action": "drip", "seconds": 30})
    started = time.monotonic()

    with pytest.raises(DataloreRequestError, match="read timeout"):
        DataloreHook(retry_limit=1).download_file(NB, BIG, tmp_path / "big.bin", timeout=2)

    assert time.monotonic() - started < 6
    nothing_but(tmp_path)


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "chunked"])
def test_download_of_10_gib_stops_at_max_bytes(datalore_connection, tmp_path, announced):
    with files_emulator(file_content_length=announced) as emulator:
        datalore_connection(host=emulator.url)
        started = time.monotonic()
        with pytest.raises(DataloreResponseError) as caught:
            DataloreHook().download_file(NB, TEN_GIB, tmp_path / "ten.bin", max_bytes=16 * 1024 * 1024)
    assert ("announces 10737418240 bytes" if announced else "larger than max_bytes=16777216") in str(
        caught.value
    )
    assert "raise max_bytes if a file this large is expected" in str(caught.value)
    assert time.monotonic() - started < 10
    nothing_but(tmp_path)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="disk space is reserved on Linux")
def test_download_larger_than_the_destination_disk_fails_before_reading(server, tmp_path):
    space = os.statvfs(tmp_path)
    if space.f_blocks * space.f_frsize >= 1024**4:
        pytest.skip("the temporary folder's file system holds 1 TiB")
    started = time.monotonic()

    with pytest.raises(DataloreError) as caught:
        DataloreHook().download_file(NB, ONE_TIB, tmp_path / "huge.bin")

    message = str(caught.value)
    assert f"Could not download {ONE_TIB} from notebook {NB} (POST /api/notebook/v1/file)" in message
    assert f"the destination has no room for the {1024**4} bytes the reply announces (" in message
    assert "bytes are free there); nothing was written." in message
    assert TOKEN not in message
    assert time.monotonic() - started < 10
    nothing_but(tmp_path)
    assert len(server.requests(path_contains="/api/notebook/v1/file")) == 1  # not retried


def test_download_into_a_file_object_of_the_user_reserves_nothing(server, tmp_path):
    # The reservation is for files the download makes itself: a user's file keeps the blocks it writes.
    server.add_faults({"endpoint": "file", "action": "cut", "size": 1024 * 1024})
    with open(tmp_path / "mine.bin", "wb") as mine, pytest.raises(DataloreRequestError):
        DataloreHook(retry_limit=1).download_file(NB, BIG, mine)

    assert (tmp_path / "mine.bin").stat().st_size == 1024 * 1024
    assert (tmp_path / "mine.bin").stat().st_blocks * 512 < BIG_SIZE


def test_upload_answered_500_after_reading(server, tmp_path):
    server.add_faults({"endpoint": "file_upload", "status": 500})
    source = tmp_path / "in.csv"
    source.write_bytes(b"x,y\n")

    with pytest.raises(DataloreRequestError) as caught:
        DataloreHook().upload_file(NB, str(source))

    message = str(caught.value)
    assert "upload in.csv to data/notebook_files of notebook demo/files" in message
    assert "so the file may have been uploaded. It is not retried" in message
    assert len(server.requests(path_contains="/file/upload")) == 1
    assert TOKEN not in message


def test_server_without_the_notebook_api(datalore_connection, tmp_path):
    with files_emulator(notebook_api=False) as emulator:
        datalore_connection(host=emulator.url)
        task = DataloreDownloadFilesOperator(
            task_id="download", notebook_id=NB, paths="data/notebook_files/*.csv", destination=str(tmp_path)
        )
        with pytest.raises(DataloreApiUnavailableError, match=NO_NOTEBOOK_API):
            task.execute(task_context())
    nothing_but(tmp_path)


def test_run_api_only_token(datalore_connection, tmp_path):
    with files_emulator() as emulator:
        datalore_connection(host=emulator.url, password="run-api-token")
        with pytest.raises(DataloreForbiddenError) as caught:
            DataloreHook().list_files(NB)
    assert "its scope does not cover the Notebook API" in str(caught.value)


def test_download_destination_not_writable(server, tmp_path):
    # Root ignores permission bits (CI runs as root): a folder that is a file cannot be written by anyone.
    (tmp_path / "taken").write_text("a file, not a folder")

    with pytest.raises(OSError):
        DataloreHook().download_file(NB, SMALL, tmp_path / "taken" / "small.csv")

    nothing_but(tmp_path, "taken")
    assert server.requests(path_contains="/api/notebook/v1/file") == []  # refused before the download
