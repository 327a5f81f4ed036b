"""Config dataclasses and their JSON form: defaults, loading, and validation errors naming the key."""

from __future__ import annotations

import json
import re

import pytest
import requests

from airflow_provider_datalore.emulator import (
    DEFAULT_NOTEBOOK,
    DEFAULT_TOKEN,
    READ_ONLY_NOTEBOOK,
    Artifact,
    EmulatorConfig,
    Fault,
    Notebook,
)


def test_default_config():
    config = EmulatorConfig.default()

    assert config.tokens == {DEFAULT_TOKEN: {DEFAULT_NOTEBOOK: "editor", READ_ONLY_NOTEBOOK: "viewer"}}
    sales = config.notebooks[0]
    assert (sales.id, sales.effective_polls, sales.outcome) == ("demo/sales-report", 2, "success")
    assert sales.effective_artifacts == (Artifact(name="sales-report.ipynb"),)
    assert config.faults == []


def test_notebook_defaults():
    notebook = Notebook(id="owner/nb")

    assert notebook.owner == "owner"
    assert notebook.name == "nb"
    assert notebook.effective_polls == 1
    assert notebook.effective_artifacts == (Artifact(name="nb.ipynb"),)
    assert Notebook(id="o/n", duration=1.0).effective_polls == 0, "duration alone decides"
    assert Notebook(id="o/n", duration=1.0, polls=2).effective_polls == 2


def test_from_dict_round_trips_through_to_dict():
    data = {
        "tokens": {"t1": {"o/a": "editor", "*": "viewer"}},
        "notebooks": [
            {
                "id": "o/a",
                "polls": 3,
                "duration": 0.5,
                "outcome": "failure",
                "artifacts": [{"name": "a.ipynb"}, {"name": "b.csv", "path": "/x/b.csv"}],
                "status": "PENDING",
                "time_format": "epoch_ms",
                "success_while_running": None,
                "end_time_while_running": False,
            }
        ],
        "faults": [
            {"endpoint": "status", "status": 503, "times": 2, "retry_after": 5},
            {"endpoint": "run", "action": "delay", "seconds": 0.1, "process": True},
        ],
    }

    config = EmulatorConfig.from_dict(data)

    assert config.notebooks[0].artifacts == (Artifact("a.ipynb"), Artifact("b.csv", "/x/b.csv"))
    assert config.faults[0].retry_after == "5", "an integer Retry-After is sent as given, as a string"
    assert EmulatorConfig.from_dict(config.to_dict()) == config


def test_from_file(tmp_path):
    path = tmp_path / "emulator.json"
    path.write_text(json.dumps({"tokens": {"t": {"o/n": "editor"}}, "notebooks": [{"id": "o/n"}]}))

    assert EmulatorConfig.from_file(path).tokens == {"t": {"o/n": "editor"}}
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        EmulatorConfig.from_file(path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        ({"token": {}}, "unknown key 'token'"),
        ({"tokens": []}, "'tokens'"),
        ({"tokens": {"t": ["o/n"]}}, "token access"),
        ({"tokens": {"t": {"o/n": "owner"}}, "notebooks": [{"id": "o/n"}]}, "'owner'"),
        ({"tokens": {"t": {"o/missing": "editor"}}}, "'o/missing'"),
        ({"tokens": {"": {}}}, "token"),
        ({"notebooks": {}}, "'notebooks'"),
        ({"notebooks": [{"polls": 1}]}, "missing required key 'id'"),
        ({"notebooks": [{"id": "nb"}]}, "'owner/notebook'"),
        ({"notebooks": [{"id": "o/n"}, {"id": "o/n"}]}, "unique"),
        ({"notebooks": [{"id": "o/n", "pols": 1}]}, "unknown key 'pols'"),
        ({"notebooks": [{"id": "o/n", "polls": -1}]}, "'polls'"),
        ({"notebooks": [{"id": "o/n", "polls": True}]}, "'polls'"),
        ({"notebooks": [{"id": "o/n", "polls": 1.5}]}, "'polls'"),
        ({"notebooks": [{"id": "o/n", "duration": "1s"}]}, "'duration'"),
        ({"notebooks": [{"id": "o/n", "outcome": "ok"}]}, "'outcome'"),
        ({"notebooks": [{"id": "o/n", "time_format": "unix"}]}, "'time_format'"),
        ({"notebooks": [{"id": "o/n", "status": ""}]}, "'status'"),
        ({"notebooks": [{"id": "o/n", "success_while_running": "no"}]}, "'success_while_running'"),
        ({"notebooks": [{"id": "o/n", "end_time_while_running": None}]}, "'end_time_while_running'"),
        ({"notebooks": [{"id": "o/n", "artifacts": "a.ipynb"}]}, "'artifacts'"),
        ({"notebooks": [{"id": "o/n", "artifacts": [{"path": "/x"}]}]}, "'name'"),
        ({"notebooks": [{"id": "o/n", "artifacts": [{"name": "a", "size": 1}]}]}, "unknown key 'size'"),
        ({"faults": {"endpoint": "run"}}, "needs 'status' (an HTTP code) or 'action'"),
        ({"faults": [{"status": 500}]}, "missing required key 'endpoint'"),
        ({"faults": [{"endpoint": "start", "status": 500}]}, "'endpoint'"),
        ({"faults": [{"endpoint": "run"}]}, "needs 'status' (an HTTP code) or 'action'"),
        (
            {"faults": [{"endpoint": "run", "status": 500, "action": "drop"}]},
            "'status' does not go with action 'drop'",
        ),
        ({"faults": [{"endpoint": "run", "status": 99}]}, "'status'"),
        ({"faults": [{"endpoint": "run", "status": "503"}]}, "'status'"),
        ({"faults": [{"endpoint": "run", "action": "explode"}]}, "'action'"),
        ({"faults": [{"endpoint": "run", "action": "delay"}]}, "'seconds'"),
        (
            {"faults": [{"endpoint": "run", "action": "drop", "body": {}}]},
            "'body' does not go with action 'drop'",
        ),
        ({"faults": [{"endpoint": "run", "status": 500, "times": 0}]}, "'times'"),
        ({"faults": [{"endpoint": "run", "status": 500, "retry_after": 1.5}]}, "'retry_after'"),
        ({"faults": [{"endpoint": "run", "status": 500, "process": "yes"}]}, "'process'"),
        ({"faults": [{"endpoint": "run", "status": 500, "delay": 1}]}, "unknown key 'delay'"),
    ],
)
def test_from_dict_rejects_bad_keys_and_values(data, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        EmulatorConfig.from_dict(data)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"action": "delay", "seconds": 1, "status": 503}, "'status' does not go with action 'delay'"),
        (
            {"action": "drip", "retry_after": "1"},
            "'retry_after' does not go with action 'drip' (only with: a plain",
        ),
        ({"action": "huge_body", "location": "http://x"}, "'location' does not go with action 'huge_body'"),
        ({"action": "huge_body", "body": {}}, "'body' does not go with action 'huge_body'"),
        (
            {"action": "gzip_bomb", "content_length": True},
            "'content_length' does not go with action 'gzip_bomb'",
        ),
        ({"action": "drip", "size": 1000}, "'size' does not go with action 'drip'"),
        ({"status": 503, "size": 1000}, "'size' does not go with a plain 'status' fault"),
        ({"action": "interim_1xx", "seconds": 1}, "'seconds' does not go with action 'interim_1xx'"),
        ({"action": "drop", "seconds": 1}, "'seconds' does not go with action 'drop'"),
        ({"action": "drip", "seconds": -1}, "'seconds' must be a number >= 0"),
        ({"action": "delay", "seconds": 0}, "'delay' fault needs 'seconds' > 0"),
        ({"action": "huge_body", "size": 10}, "'size' must be an integer from 100"),
        ({"action": "gzip_bomb", "size": 10**11}, "'size' must be an integer from 100"),
        ({"action": "gzip_bomb", "size": "1GB"}, "'size' must be an integer"),
        ({"action": "huge_body", "content_length": "yes"}, "'content_length' must be a boolean"),
        ({"action": "drip", "status": 204}, "'status' 204 has no body"),
        ({"action": "gzip_bomb", "status": 304}, "'status' 304 has no body"),
        ({"status": 503, "content_type": "text/html"}, "'content_type' needs 'body' as a string"),
        (
            {"status": 503, "content_type": "text/html", "body": {"a": 1}},
            "'content_type' needs 'body' as a string",
        ),
        ({"status": 503, "content_type": "html", "body": "x"}, "'content_type' must be a media type"),
        (
            {"status": 503, "content_type": "text/html\r\nX: 1", "body": "x"},
            "'content_type' must be a media type",
        ),
        ({"status": 503, "encoding": "latin-1", "body": "x"}, "'encoding' only goes with 'content_type'"),
        (
            {"status": 503, "content_type": "text/html", "body": "x", "encoding": "klingon"},
            "'encoding' must be",
        ),
        (
            {"status": 503, "content_type": "text/html", "body": "caf\u00e9", "encoding": "ascii"},
            "cannot be encoded",
        ),
        (
            {"action": "huge_body", "content_type": "text/html", "body": "x"},
            "does not go with action 'huge_body'",
        ),
        ({"action": "close_idle", "size": 200}, "'size' does not go with action 'close_idle'"),
    ],
)
def test_fault_combinations_are_checked(fault, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Fault.from_dict({"endpoint": "status", **fault})


def test_a_fault_body_must_be_json_unless_sent_raw():
    with pytest.raises(ValueError, match="'body' must be JSON"):
        Fault(endpoint="run", status=500, body={1, 2})
    nested: list = []
    for _ in range(100_000):
        nested = [nested]
    with pytest.raises(ValueError, match=r"'body' must be JSON .*\[\[\["):
        Fault(endpoint="run", status=500, body=nested)


def test_new_faults_take_their_defaults_and_round_trip_through_json():
    faults = [
        {"endpoint": "status", "action": "drip"},
        {"endpoint": "status", "action": "drip_headers", "seconds": 0.5, "status": 503, "body": {"e": 1}},
        {"endpoint": "run", "action": "huge_body", "process": True},
        {"endpoint": "status", "action": "huge_body", "size": 1000, "content_length": True, "status": 502},
        {"endpoint": "status", "action": "gzip_bomb", "status": 503},
        {"endpoint": "run", "action": "interim_1xx", "process": True},
        {"endpoint": "status", "action": "close_idle"},
        {
            "endpoint": "status",
            "status": 503,
            "body": "<html>caf\u00e9</html>",
            "content_type": "text/html",
            "encoding": "latin-1",
        },
        {"endpoint": "status", "status": 200, "body": "\ufeff{}", "content_type": "application/json"},
    ]

    config = EmulatorConfig.from_dict({"faults": faults})
    reloaded = EmulatorConfig.from_dict(json.loads(json.dumps(config.to_dict())))

    assert reloaded == config
    drip, _, huge, _, bomb, _, idle, page, bom = config.faults
    assert (drip.seconds, idle.seconds, huge.size, bomb.size) == (1.0, 0.05, 200_000_000, 1_000_000_000)
    assert (page.encoding, bom.encoding, drip.encoding) == ("latin-1", "utf-8", None)
    assert (drip.label, page.label) == ("drip", 503)
    assert set(drip.to_dict()) == {
        "endpoint",
        "times",
        "status",
        "retry_after",
        "body",
        "action",
        "seconds",
        "process",
        "location",
        "size",
        "content_length",
        "content_type",
        "encoding",
    }


def test_add_faults_and_the_control_plane_reject_bad_combinations(datalore_emulator):
    with pytest.raises(ValueError, match="'size' does not go with action 'drip'"):
        datalore_emulator.add_faults({"endpoint": "status", "action": "drip", "size": 1000})

    response = requests.post(
        f"{datalore_emulator.url}/_emulator/faults",
        json={"endpoint": "status", "action": "gzip_bomb", "retry_after": "1"},
        timeout=10,
    )

    assert response.status_code == 400
    assert "'retry_after' does not go with action 'gzip_bomb'" in response.json()["error"]
    assert datalore_emulator.pending_faults == []


def test_fault_repr_clips_a_huge_body():
    fault = Fault(endpoint="status", status=200, body="x" * 10_000_000, content_type="text/plain")

    assert len(repr(fault)) < 1000
    assert repr(fault).startswith("Fault(endpoint='status', times=1, status=200")


def test_fault_label():
    assert Fault(endpoint="run", status=429).label == 429
    assert Fault(endpoint="run", action="drop").label == "drop"
