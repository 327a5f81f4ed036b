"""Config dataclasses and their JSON form: defaults, loading, and validation errors naming the key."""

from __future__ import annotations

import json

import pytest

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
        ({"faults": {"endpoint": "run"}}, "exactly one of 'status'"),
        ({"faults": [{"status": 500}]}, "missing required key 'endpoint'"),
        ({"faults": [{"endpoint": "start", "status": 500}]}, "'endpoint'"),
        ({"faults": [{"endpoint": "run"}]}, "exactly one of 'status'"),
        ({"faults": [{"endpoint": "run", "status": 500, "action": "drop"}]}, "exactly one of 'status'"),
        ({"faults": [{"endpoint": "run", "status": 99}]}, "'status'"),
        ({"faults": [{"endpoint": "run", "status": "503"}]}, "'status'"),
        ({"faults": [{"endpoint": "run", "action": "explode"}]}, "'action'"),
        ({"faults": [{"endpoint": "run", "action": "delay"}]}, "'seconds'"),
        ({"faults": [{"endpoint": "run", "action": "drop", "body": {}}]}, "'body'"),
        ({"faults": [{"endpoint": "run", "status": 500, "times": 0}]}, "'times'"),
        ({"faults": [{"endpoint": "run", "status": 500, "retry_after": 1.5}]}, "'retry_after'"),
        ({"faults": [{"endpoint": "run", "status": 500, "process": "yes"}]}, "'process'"),
        ({"faults": [{"endpoint": "run", "status": 500, "delay": 1}]}, "unknown key 'delay'"),
    ],
)
def test_from_dict_rejects_bad_keys_and_values(data, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        EmulatorConfig.from_dict(data)


def test_fault_label():
    assert Fault(endpoint="run", status=429).label == 429
    assert Fault(endpoint="run", action="drop").label == "drop"
