"""
The disk space a download reserves for a file of its own before the bytes come, on real files.

A reserved file has its blocks allocated (``st_blocks``) while its size stays at the bytes written; a
destination that cannot hold the announced size fails before anything is read.
"""

from __future__ import annotations

import io
import os
import sys

import pytest

from airflow_provider_datalore.exceptions import DataloreError
from airflow_provider_datalore.notebook_api.endpoints import FILE
from airflow_provider_datalore.transport.calls import Call
from airflow_provider_datalore.transport.disk_space import NoRoom, reserve
from airflow_provider_datalore.transport.streams import Receiver

MIB = 1024 * 1024
DOWNLOAD = Call(FILE, FILE.path, "download data.csv of notebook alice/sales", notebook_id="alice/sales")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fallocate(2) is Linux's")


def allocated(path) -> int:
    return os.stat(path).st_blocks * 512


@linux_only
def test_a_regular_file_gets_its_blocks_and_keeps_its_size(tmp_path):
    path = tmp_path / "part"
    with open(path, "wb") as sink:
        sink.write(b"x" * 4096)
        sink.flush()

        assert reserve(sink, 8 * MIB) is True  # from the position on: the 4096 bytes written keep theirs

        assert os.stat(path).st_size == 4096  # the size is the bytes written, not the reservation
        assert allocated(path) >= 4096 + 8 * MIB
    assert os.stat(path).st_size == 4096


def test_what_is_not_a_regular_file_is_written_as_it_comes(tmp_path):
    read, write = os.pipe()
    with os.fdopen(read, "rb") as _, os.fdopen(write, "wb") as pipe:
        assert reserve(pipe, 8 * MIB) is False
    assert reserve(io.BytesIO(), 8 * MIB) is False
    assert reserve(object(), 8 * MIB) is False


@linux_only
def test_more_than_the_file_system_has_free_fails_and_allocates_nothing(tmp_path):
    space = os.statvfs(tmp_path)
    too_much = space.f_blocks * space.f_frsize + MIB
    path = tmp_path / "part"
    with open(path, "wb") as sink, pytest.raises(NoRoom) as caught:
        reserve(sink, too_much)
    assert "bytes are free there" in caught.value.strerror
    assert allocated(path) == 0


@linux_only
@pytest.mark.parametrize("asked", [True, False], ids=["reserved", "not-asked"])
def test_the_receiver_reserves_the_announced_size_only_when_asked(tmp_path, asked):
    path = tmp_path / "part"
    with open(path, "wb") as sink:
        receiver = Receiver(DOWNLOAD, sink, max_bytes=64 * MIB, reserve=asked)
        receiver.start(8 * MIB, None, "application/octet-stream")
        receiver.write(b"y" * MIB)
        sink.flush()

        assert (allocated(path) >= 8 * MIB) is asked
    assert os.stat(path).st_size == MIB


@linux_only
def test_the_receiver_names_the_bytes_a_full_destination_cannot_hold(tmp_path):
    space = os.statvfs(tmp_path)
    too_much = space.f_blocks * space.f_frsize + MIB
    with open(tmp_path / "part", "wb") as sink:
        receiver = Receiver(DOWNLOAD, sink, max_bytes=sys.maxsize, reserve=True)
        with pytest.raises(DataloreError) as caught:
            receiver.start(too_much, None, None)
    message = str(caught.value)
    assert message.startswith(
        "Could not download data.csv of notebook alice/sales (POST /api/notebook/v1/file)"
    )
    assert f"the destination has no room for the {too_much} bytes the reply announces (" in message
    assert "bytes are free there); nothing was written." in message
