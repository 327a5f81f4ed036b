"""Hostile servers and broken proxies on the wire: slow bytes, huge and bomb bodies, 1xx, idle closes, raw bodies."""

from __future__ import annotations

import json
import os
import re
import time
import zlib

import pytest
import requests

from airflow_provider_datalore.emulator import Fault
from airflow_provider_datalore.emulator.faults import INTERIM_RESPONSES, gzip_bomb

RUN_PATH = "/api/run/v1/notebook"
START = {"notebookId": "demo/sales-report"}
JSON_TYPE = "application/json; charset=utf-8"
needs_proc = pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="measures RSS in /proc")


def _reset_peak_rss() -> int:
    """Reset this process's peak RSS (the emulator serves from a thread of it); return the current peak."""
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    return _peak_rss()


def _peak_rss() -> int:
    with open("/proc/self/status") as handle:
        return int(re.search(r"VmHWM:\s+(\d+) kB", handle.read()).group(1)) * 1024


def _inflate(data: bytes) -> tuple[int, bytes, bytes]:
    """Gunzip ``data`` a MiB at a time; return the inflated size, its first and its last bytes."""
    inflater = zlib.decompressobj(wbits=31)
    size, first, last = 0, b"", b""
    while data:
        out = inflater.decompress(data, 1 << 20)
        data = inflater.unconsumed_tail
        size, first, last = size + len(out), first or out[:8], (last + out)[-8:]
    assert inflater.eof, "the gzip stream ends with its trailer (CRC and size checked)"
    assert inflater.unused_data == b""
    return size, first, last


# drip: the head at once, then the body a byte at a time


def test_drip_sends_the_head_at_once_then_the_body_a_byte_at_a_time(
    datalore_emulator, raw_connection, wait_for
):
    body = b'{"error": "slow"}'
    datalore_emulator.add_faults(
        {"endpoint": "status", "action": "drip", "seconds": 0.02, "status": 503, "body": {"error": "slow"}}
    )
    connection = raw_connection(datalore_emulator)

    sent = connection.send()
    head = connection.read_until(b"\r\n\r\n")
    head_at = time.monotonic()
    assert connection.buffer == b"", "no body byte came with the head"
    pieces = []
    while len(b"".join(pieces)) < len(body):
        pieces.append(connection.recv())
        assert pieces[-1], "the server closed the connection mid-body"
    done = time.monotonic()

    assert head.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    headers = connection.headers(head)
    assert (headers["content-type"], headers["content-length"]) == (JSON_TYPE, str(len(body)))
    assert "transfer-encoding" not in headers
    assert b"".join(pieces) == body
    assert len(pieces) > len(body) // 2, "the body came in pieces, not at once"
    assert head_at - sent < 0.02 * len(body) / 2, "the head did not wait for the body"
    assert done - sent >= 0.02 * len(body)
    assert wait_for(lambda: datalore_emulator.journal[-1].status == 503), "journaled once all was sent"
    assert datalore_emulator.journal[-1].fault == "drip"


def test_drip_of_the_real_answer_with_process(api, datalore_emulator):
    datalore_emulator.add_faults(Fault(endpoint="run", action="drip", seconds=0.005, process=True))
    started = time.monotonic()

    response = api.start()

    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(response.content))
    assert time.monotonic() - started >= 0.005 * len(response.content)
    assert list(datalore_emulator.runs) == [response.json()["runId"]]


def test_drip_without_process_starts_nothing_and_drips_its_own_answer(api, datalore_emulator):
    datalore_emulator.add_faults(Fault(endpoint="run", action="drip", seconds=0.001))

    response = api.start()

    assert (response.status_code, response.json()) == (200, {"error": "Injected 200"})
    assert datalore_emulator.runs == {}


def test_drip_with_a_body_and_process_starts_the_run_but_sends_the_body(api, datalore_emulator):
    datalore_emulator.add_faults(
        {"endpoint": "run", "action": "drip", "seconds": 0.001, "body": {"runId": "fake"}, "process": True}
    )

    response = api.start()

    assert response.json() == {"runId": "fake"}
    assert len(datalore_emulator.runs) == 1
    assert datalore_emulator.run_starts()[0].fault == "drip"


# drip_headers: every byte of the reply, status line first


def test_drip_headers_sends_the_whole_reply_a_byte_at_a_time_then_closes(datalore_emulator, raw_connection):
    datalore_emulator.add_faults(
        {"endpoint": "status", "action": "drip_headers", "seconds": 0.003, "status": 502, "body": {"e": 1}}
    )
    connection = raw_connection(datalore_emulator)

    sent = connection.send()
    first = connection.recv()
    whole = first + connection.read_to_end()
    done = time.monotonic()

    assert whole == (
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json; charset=utf-8\r\n"
        b'Content-Length: 8\r\nConnection: close\r\n\r\n{"e": 1}'
    )
    assert len(first) < 5, "the status line itself trickles"
    assert done - sent >= 0.003 * len(whole)
    assert (datalore_emulator.journal[-1].fault, datalore_emulator.journal[-1].status) == (
        "drip_headers",
        502,
    )


def test_drip_headers_of_the_real_status(api, datalore_emulator):
    run_id = api.start_id()
    datalore_emulator.add_faults(
        Fault(endpoint="status", action="drip_headers", seconds=0.0005, process=True)
    )

    response = api.status(run_id)

    assert response.status_code == 200
    assert response.headers["Connection"] == "close"
    assert response.json()["runId"] == run_id
    assert datalore_emulator.runs[run_id].status_polls == 1


# huge_body: a JSON document of `size` bytes, streamed


@needs_proc
def test_huge_body_streams_size_bytes_chunked_without_holding_them(api, datalore_emulator):
    size = 50_000_000
    run_id = api.start_id()
    datalore_emulator.add_faults({"endpoint": "status", "action": "huge_body", "size": size, "process": True})
    before = _reset_peak_rss()
    received, first, last = 0, b"", b""

    with api.status(run_id, stream=True) as response:
        for chunk in response.iter_content(1 << 16):
            received, first, last = received + len(chunk), (first + chunk)[:64], (last + chunk)[-8:]

    assert _peak_rss() - before < size / 5, "neither the emulator nor the client held the body"
    assert response.status_code == 200
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in response.headers
    assert received == size
    assert first.startswith(b'{"runId": "' + run_id.encode() + b'", "status": "xxxx')
    assert last == b'xxxxxx"}'
    assert datalore_emulator.runs[run_id].status_polls == 1, "process: the poll counted"
    assert (datalore_emulator.journal[-1].fault, datalore_emulator.journal[-1].status) == ("huge_body", 200)


def test_huge_body_with_content_length_is_one_valid_json_document(api, datalore_emulator):
    datalore_emulator.add_faults(
        {"endpoint": "run", "action": "huge_body", "size": 1_000_000, "content_length": True, "status": 503}
    )

    response = api.start()

    assert response.status_code == 503
    assert response.headers["Content-Length"] == "1000000"
    assert "Transfer-Encoding" not in response.headers
    assert len(response.content) == 1_000_000
    document = json.loads(response.content)
    assert document["runId"] == "huge-body", "process=false: no run, a made-up id"
    assert set(document["status"]) == {"x"}
    assert datalore_emulator.runs == {}


# gzip_bomb: a small gzip body that inflates to `size` bytes


def test_gzip_bomb_is_small_on_the_wire_and_inflates_to_size(datalore_emulator, raw_connection):
    size = 20_000_000
    datalore_emulator.add_faults({"endpoint": "status", "action": "gzip_bomb", "size": size, "status": 503})
    connection = raw_connection(datalore_emulator)

    connection.send()
    head, body = connection.read_response()

    assert head.startswith(b"HTTP/1.1 503 ")
    headers = connection.headers(head)
    assert (headers["content-encoding"], headers["content-type"]) == ("gzip", JSON_TYPE)
    assert len(body) < 30_000, "deflate's best ratio: about 1000 to 1"
    assert _inflate(body) == (size, b" " * 8, b"      {}")
    assert (datalore_emulator.journal[-1].fault, datalore_emulator.journal[-1].status) == ("gzip_bomb", 503)


@needs_proc
def test_gzip_bomb_is_built_once_without_inflating_it_in_memory():
    size = 300_000_001
    before = _reset_peak_rss()

    bomb = gzip_bomb(size)

    assert _peak_rss() - before < 20_000_000
    assert gzip_bomb(size) is bomb, "cached"
    assert _inflate(bomb)[0] == size


def test_gzip_bomb_default_is_200_with_process_starting_the_run(api, datalore_emulator):
    datalore_emulator.add_faults({"endpoint": "run", "action": "gzip_bomb", "size": 1000, "process": True})

    response = api.start()

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.content == b" " * 998 + b"{}", "a client that inflates gets all of it"
    assert len(datalore_emulator.runs) == 1


# interim_1xx: 102 and 103 before the final answer


def test_interim_1xx_precede_the_final_answer_on_a_reusable_connection(datalore_emulator, raw_connection):
    datalore_emulator.add_faults({"endpoint": "run", "action": "interim_1xx", "process": True})
    connection = raw_connection(datalore_emulator)

    connection.send("POST", RUN_PATH, START)
    interim = connection.read_until(b"\r\n\r\n") + connection.read_until(b"\r\n\r\n")
    head, body = connection.read_response()
    run_id = json.loads(body)["runId"]
    connection.send("GET", f"/api/run/v1/{run_id}")
    next_head, next_body = connection.read_response()

    assert interim == INTERIM_RESPONSES
    assert interim.startswith(b"HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: <")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert connection.headers(head)["content-length"] == str(len(body))
    assert list(datalore_emulator.runs) == [run_id]
    assert next_head.startswith(b"HTTP/1.1 200 OK\r\n"), "the connection was left clean"
    assert json.loads(next_body)["runId"] == run_id
    first, second = datalore_emulator.journal[-2:]
    assert (first.fault, first.status, first.run_id) == ("interim_1xx", 200, run_id)
    assert first.client_port == second.client_port


# close_idle: a keep-alive answer, then the server closes the idle connection


def test_close_idle_answers_keep_alive_then_closes_the_connection(datalore_emulator, raw_connection):
    datalore_emulator.add_faults(
        {"endpoint": "status", "action": "close_idle", "seconds": 0.3, "status": 404}
    )
    connection = raw_connection(datalore_emulator)

    connection.send()
    head, body = connection.read_response()
    connection.sock.setblocking(False)
    with pytest.raises(BlockingIOError):
        connection.sock.recv(1)  # still open: nothing to read, no end of stream yet
    connection.sock.setblocking(True)
    time.sleep(0.5)
    after = connection.recv()

    assert head.startswith(b"HTTP/1.1 404 Not Found\r\n")
    assert "connection" not in connection.headers(head), "nothing says the connection will close"
    assert json.loads(body) == {"error": "Injected 404"}
    assert after == b"", "the server closed the idle connection"
    assert [(e.fault, e.status) for e in datalore_emulator.journal] == [("close_idle", 404)]


def test_close_idle_makes_a_pooled_client_reconnect(api, datalore_emulator):
    run_id = api.start_id()
    datalore_emulator.add_faults(Fault(endpoint="status", action="close_idle", process=True))

    first = api.status(run_id)
    time.sleep(0.2)
    second = api.status(run_id)

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["runId"] == run_id
    start, faulted, fresh = datalore_emulator.journal
    assert start.client_port == faulted.client_port != fresh.client_port


# Raw bodies: any bytes, any Content-Type, no charset added


def test_a_latin_1_html_page_without_charset(api, datalore_emulator):
    page = "<html>caf\u00e9 indisponible</html>"
    datalore_emulator.add_faults(
        {
            "endpoint": "status",
            "status": 503,
            "body": page,
            "content_type": "text/html",
            "encoding": "latin-1",
        }
    )

    response = api.status("abc")

    assert response.status_code == 503
    assert response.headers["Content-Type"] == "text/html"
    assert response.content == b"<html>caf\xe9 indisponible</html>"


def test_json_nested_100000_deep_is_sent_as_given(api, datalore_emulator):
    deep = "[" * 100_000 + "]" * 100_000
    response = requests.post(
        f"{datalore_emulator.url}/_emulator/faults",
        json={"endpoint": "status", "status": 200, "body": deep, "content_type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200

    answer = api.status("abc")

    assert answer.headers["Content-Type"] == "application/json"
    assert answer.content == deep.encode()
    assert datalore_emulator.journal[-1].fault == 200, "the journal holds the label, not the body"
    assert len(repr(Fault.from_dict({"endpoint": "run", "status": 200, "body": deep}))) < 1000


def test_a_utf_8_bom_before_json(api, datalore_emulator):
    datalore_emulator.add_faults(
        Fault(endpoint="run", status=200, body='\ufeff{"runId": "x"}', content_type="application/json")
    )

    response = api.start()

    assert response.content == b'\xef\xbb\xbf{"runId": "x"}'
    assert response.headers["Content-Type"] == "application/json"


def test_a_raw_body_can_be_dripped_too(datalore_emulator, raw_connection):
    datalore_emulator.add_faults(
        {
            "endpoint": "status",
            "action": "drip",
            "seconds": 0.001,
            "body": "caf\u00e9",
            "content_type": "text/plain",
        }
    )
    connection = raw_connection(datalore_emulator)

    connection.send()
    head, body = connection.read_response()

    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert connection.headers(head)["content-type"] == "text/plain"
    assert body == b"caf\xc3\xa9"


def test_a_deeply_nested_request_body_is_journaled_as_text(datalore_emulator):
    deep = "[" * 100_000 + "]" * 100_000
    response = requests.post(
        f"{datalore_emulator.url}{RUN_PATH}",
        data=deep,
        headers={"Authorization": "Bearer emulator-token", "Content-Type": "application/json"},
        timeout=10,
    )

    assert response.status_code == 400
    assert datalore_emulator.journal[-1].body == deep
