"""Faults on the file endpoints: what a hostile file server sends, down to the byte, and the option checks."""

from __future__ import annotations

import gzip
import time

import pytest
import requests

from airflow_provider_datalore.emulator import Fault
from airflow_provider_datalore.emulator.files import generated_chunks

NB = "demo/sales-report"
DIR = "data/notebook_files"
SIZE = 3 * 1024 * 1024 + 17
FILE = f"{DIR}/big.bin"
PATH = "/api/notebook/v1/file"
REF = {"ownerId": "demo", "id": "sales-report"}


@pytest.fixture
def emulator(make_emulator):
    """An emulator whose default notebook holds a generated file of SIZE bytes and a 5-byte text file."""
    config = {
        "tokens": {"emulator-token": {"*": "editor"}},
        "notebooks": [{"id": NB, "files": {FILE: {"size": SIZE, "seed": 4}, f"{DIR}/five.txt": "12345"}}],
    }
    return make_emulator(config)


def _expected() -> bytes:
    return b"".join(generated_chunks(SIZE, 4))


def _ask(raw_connection, emulator, path: str = FILE):
    connection = raw_connection(emulator)
    connection.send("POST", PATH, {"notebookId": REF, "filePath": path})
    return connection


def test_cut_sends_size_bytes_then_closes(emulator, raw_connection, wait_for):
    emulator.add_faults(Fault(endpoint="file", action="cut", size=1000))
    connection = _ask(raw_connection, emulator)

    head = connection.read_until(b"\r\n\r\n")
    body = connection.read_to_end()

    assert connection.headers(head)["content-length"] == str(SIZE)
    assert body == _expected()[:1000]
    assert wait_for(lambda: emulator.journal[-1].status == 200)
    assert emulator.journal[-1].fault == "cut"


def test_cut_defaults_to_half_the_file_and_never_sends_all_of_it(emulator, raw_connection):
    emulator.add_faults(
        Fault(endpoint="file", action="cut"), Fault(endpoint="file", action="cut", size=10**9)
    )

    halves = [_ask(raw_connection, emulator) for _ in range(2)]
    bodies = []
    for connection in halves:
        connection.read_until(b"\r\n\r\n")
        bodies.append(connection.read_to_end())

    assert bodies == [_expected()[: SIZE // 2], _expected()[: SIZE - 1]]


def test_cut_reaches_a_client_as_a_broken_download(emulator):
    emulator.add_faults(Fault(endpoint="file", action="cut", size=5000))
    headers = {"Authorization": "Bearer emulator-token"}

    response = requests.post(
        f"{emulator.url}{PATH}", json={"notebookId": REF, "filePath": FILE}, headers=headers, stream=True
    )

    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        b"".join(response.iter_content(65536))


def test_overlong_sends_more_than_its_content_length(emulator, raw_connection):
    emulator.add_faults(Fault(endpoint="file", action="overlong", size=300))
    connection = _ask(raw_connection, emulator)

    head = connection.read_until(b"\r\n\r\n")
    rest = connection.read_to_end()

    assert connection.headers(head)["content-length"] == str(SIZE)
    assert rest == _expected() + b"#" * 300


def test_gzip_body_gzips_the_file_whatever_the_client_asked(emulator, raw_connection):
    emulator.add_faults(Fault(endpoint="file", action="gzip_body", times=2))
    connection = _ask(raw_connection, emulator)
    headers = connection.headers(connection.read_until(b"\r\n\r\n"))

    response = requests.post(
        f"{emulator.url}{PATH}",
        json={"notebookId": REF, "filePath": FILE},
        headers={"Authorization": "Bearer emulator-token", "Accept-Encoding": "identity"},
        stream=True,
        timeout=10,
    )
    packed = response.raw.read(decode_content=False)

    assert headers["content-encoding"] == "gzip"
    assert headers["transfer-encoding"] == "chunked"
    assert "content-length" not in headers
    assert packed[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed) == _expected()


def test_drip_sends_a_streamed_file_a_byte_at_a_time(emulator):
    emulator.add_faults(Fault(endpoint="file", action="drip", seconds=0.03, process=True))
    started = time.monotonic()

    response = requests.post(
        f"{emulator.url}{PATH}",
        json={"notebookId": REF, "filePath": f"{DIR}/five.txt"},
        headers={"Authorization": "Bearer emulator-token"},
        timeout=10,
    )

    assert response.content == b"12345"
    assert response.headers["Content-Length"] == "5"
    assert time.monotonic() - started >= 0.14


@pytest.mark.parametrize("action", ["cut", "overlong", "gzip_body"])
def test_a_file_fault_sends_the_error_when_there_is_no_file(emulator, action):
    emulator.add_faults(Fault(endpoint="file", action=action))

    response = requests.post(
        f"{emulator.url}{PATH}",
        json={"notebookId": REF, "filePath": f"{DIR}/missing"},
        headers={"Authorization": "Bearer emulator-token"},
        timeout=10,
    )

    assert (response.status_code, response.json()) == (404, {"error": f"File not found: {DIR}/missing"})


@pytest.mark.parametrize(
    "fault",
    [
        {"action": "delay", "seconds": 0.05},
        {"action": "close_idle", "process": True},
    ],
)
def test_shaping_faults_deliver_a_streamed_file_whole(emulator, fault):
    emulator.add_faults(Fault(endpoint="file", **fault))

    response = requests.post(
        f"{emulator.url}{PATH}",
        json={"notebookId": REF, "filePath": FILE},
        headers={"Authorization": "Bearer emulator-token"},
        timeout=10,
    )

    assert response.status_code == 200
    assert response.content == _expected()


def test_interim_1xx_precedes_a_streamed_file(emulator, raw_connection):
    emulator.add_faults(Fault(endpoint="file", action="interim_1xx", process=True))
    connection = _ask(raw_connection, emulator)

    interim = connection.read_until(b"Early Hints\r\n")
    connection.read_until(b"\r\n\r\n")
    head, body = connection.read_response()

    assert interim.startswith(b"HTTP/1.1 102 Processing")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert body == _expected()


@pytest.mark.parametrize("endpoint", ["files", "file", "file_exists", "file_upload", "file_delete"])
def test_status_and_drop_faults_apply_to_every_file_endpoint(emulator, endpoint):
    emulator.add_faults(
        Fault(endpoint=endpoint, status=503, retry_after="2"), Fault(endpoint=endpoint, action="drop")
    )
    path = "/api/notebook/v1/" + endpoint.replace("_", "/")
    url, headers = f"{emulator.url}{path}", {"Authorization": "Bearer emulator-token"}

    unavailable = requests.post(url, json={}, headers=headers, timeout=10)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(url, json={}, headers=headers, timeout=10)

    assert (unavailable.status_code, unavailable.headers["Retry-After"]) == (503, "2")
    assert [entry.fault for entry in emulator.journal] == [503, "drop"]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (
            {"endpoint": "run", "action": "cut"},
            "fault action 'cut' does not apply to endpoint 'run' (only: drop, reset, malformed_json,",
        ),
        (
            {"endpoint": "files", "action": "overlong"},
            "fault action 'overlong' does not apply to endpoint 'files'",
        ),
        (
            {"endpoint": "file", "action": "drip_headers"},
            "fault action 'drip_headers' does not apply to endpoint 'file'",
        ),
        (
            {"endpoint": "file", "action": "cut", "size": -1},
            "fault 'size' of 'cut' must be an integer from 0 to 10000000000 bytes, got -1",
        ),
        (
            {"endpoint": "file", "action": "overlong", "size": 0},
            "fault 'size' of 'overlong' must be an integer from 1 to 10000000 bytes, got 0",
        ),
        ({"endpoint": "file", "action": "cut", "size": "1k"}, "fault 'size' of 'cut' must be an integer"),
        (
            {"endpoint": "file", "action": "gzip_body", "size": 5},
            "fault 'size' does not go with action 'gzip_body'",
        ),
        (
            {"endpoint": "file", "action": "cut", "status": 500},
            "fault 'status' does not go with action 'cut'",
        ),
        (
            {"endpoint": "file", "action": "cut", "seconds": 1},
            "fault 'seconds' does not go with action 'cut'",
        ),
    ],
)
def test_file_fault_options_are_checked(fault, message):
    with pytest.raises(ValueError) as raised:
        Fault.from_dict(fault)

    assert str(raised.value).startswith(message), str(raised.value)


def test_file_faults_show_their_defaults():
    assert Fault(endpoint="file", action="overlong").size == 1024
    assert Fault(endpoint="file", action="cut").size is None
    assert Fault(endpoint="file", action="cut", size=0).to_dict()["size"] == 0
