from __future__ import annotations

import json

import pytest

from airflow_provider_datalore.notebook_api.cells import CellOutput, CellOutputs
from airflow_provider_datalore.notebook_api.outputs import (
    MAX_ENTRY_CHARS,
    MAX_OUTPUTS,
    MAX_TEXT_CHARS,
    cell_output_entry,
)


def outputs(*items: CellOutput, **fields) -> CellOutputs:
    return CellOutputs(
        **({"cell_id": "kpi1", "status": "VALID", "execution_count": 7, "outputs": items} | fields)
    )


def test_a_kpi_cell():
    entry = cell_output_entry(outputs(CellOutput("LAST_EXPRESSION", "1234\n"), stdout="counted\n"))
    assert entry == {
        "cell_id": "kpi1",
        "status": "VALID",
        "execution_count": 7,
        "outputs": [{"type": "LAST_EXPRESSION", "text": "1234\n", "truncated": False}],
        "stdout": "counted\n",
        "stderr": None,
        "error": None,
        "truncated": False,
        "value": "1234",
    }


@pytest.mark.parametrize(
    ("items", "value"),
    [
        ((), None),
        ((CellOutput("TABLE", "<table/>"), CellOutput("PLOT", None)), None),
        ((CellOutput("TEXT", "a\n"), CellOutput("LAST_EXPRESSION", "b"), CellOutput("HTML", "<b>")), "b"),
        ((CellOutput("LAST_EXPRESSION", "b"), CellOutput("TEXT", "done\n\n")), "done\n"),  # one newline only
        ((CellOutput("TEXT", "x\r\n"),), "x\r"),
        ((CellOutput("TEXT", ""),), ""),
        ((CellOutput("TEXT", None),), None),
        ((CellOutput("GEOJSON", "{}"), CellOutput("TEXT", "7")), "7"),  # unknown types are listed, not values
    ],
)
def test_value_is_the_last_text_or_last_expression(items, value):
    assert cell_output_entry(outputs(*items))["value"] == value


def test_unknown_types_and_statuses_are_passed_as_sent():
    entry = cell_output_entry(outputs(CellOutput("GEOJSON", "{}"), status="QUEUED"))
    assert (entry["status"], entry["outputs"]) == (
        "QUEUED",
        [{"type": "GEOJSON", "text": "{}", "truncated": False}],
    )


def test_an_error_cell():
    entry = cell_output_entry(
        outputs(
            status="ERROR", error_message="ZeroDivisionError: division by zero", error_traceback="Traceback\n"
        )
    )
    assert entry["error"] == {"message": "ZeroDivisionError: division by zero", "traceback": "Traceback\n"}
    assert cell_output_entry(outputs(status="ERROR"))["error"] == {"message": None, "traceback": None}


@pytest.mark.parametrize(
    "fields",
    [
        {"stdout_truncated": True},
        {"stderr_truncated": True},
        {"error_traceback_truncated": True},
        {"outputs": (CellOutput("HTML", "<b>", truncated=True),)},
    ],
)
def test_the_servers_cuts_set_truncated(fields):
    assert cell_output_entry(outputs(**fields))["truncated"] is True


def test_a_value_over_the_budget_is_cut_by_characters():
    entry = cell_output_entry(outputs(CellOutput("TEXT", "é" * 20 + "\n")), max_chars=10)
    assert (entry["value"], entry["outputs"][0], entry["truncated"]) == (
        "é" * 10,
        {"type": "TEXT", "text": "é" * 10, "truncated": True},
        True,
    )


def test_a_value_the_server_cut_is_truncated():
    entry = cell_output_entry(outputs(CellOutput("TEXT", "1" * 100_000, truncated=True)))
    assert entry["value"] == "1" * MAX_TEXT_CHARS
    assert entry["truncated"] is True


def test_100000_characters_everywhere_stay_within_the_budget():
    huge = "x" * 100_000
    entry = cell_output_entry(
        outputs(
            *(
                CellOutput(kind, huge, truncated=True)
                for kind in ("TEXT", "HTML", "TABLE", "LAST_EXPRESSION") * 30
            ),
            status="ERROR",
            stdout=huge,
            stderr=huge,
            error_message=huge,
            error_traceback=huge,
        )
    )
    texts = [entry["value"], entry["stdout"], entry["stderr"], *entry["error"].values()]
    texts += [output["text"] for output in entry["outputs"]]
    assert all(len(text) <= MAX_TEXT_CHARS for text in texts)
    assert sum(map(len, texts)) == MAX_ENTRY_CHARS
    assert len(entry["outputs"]) == MAX_OUTPUTS
    assert len(json.dumps(entry)) < 64 * 1024
    assert entry["truncated"] is True
    # Given out in order: value, error message, traceback, stdout, stderr, then the outputs.
    assert [len(entry[k]) for k in ("value", "stdout", "stderr")] == [10_000, 10_000, 10_000]
    assert [len(text) for text in entry["error"].values()] == [10_000, 10_000]
    assert [len(output["text"]) for output in entry["outputs"][:3]] == [6_000, 0, 0]
    assert all(output["truncated"] for output in entry["outputs"])


def test_the_budget_cuts_the_same_way_every_time_and_only_what_it_must():
    items = [CellOutput("TEXT", "a" * 30), CellOutput("HTML", "b" * 30), CellOutput("TABLE", "c" * 30)]
    first = cell_output_entry(outputs(*items), max_chars=25, max_entry_chars=60)
    assert first == cell_output_entry(outputs(*items), max_chars=25, max_entry_chars=60)
    # The value (the TEXT output) takes 25, the outputs then: TEXT 25, HTML 10, TABLE nothing.
    assert [(o["text"], o["truncated"]) for o in first["outputs"]] == [
        ("a" * 25, True),
        ("b" * 10, True),
        ("", True),
    ]
    small = cell_output_entry(outputs(*items), max_chars=30, max_entry_chars=1_000)
    assert [o["truncated"] for o in small["outputs"]] == [False, False, False]
    assert small["truncated"] is False


def test_outputs_past_the_count_are_dropped_and_said():
    entry = cell_output_entry(outputs(*(CellOutput("TEXT", str(i)) for i in range(MAX_OUTPUTS + 1))))
    assert [o["text"] for o in entry["outputs"]] == [str(i) for i in range(MAX_OUTPUTS)]
    assert entry["value"] == str(MAX_OUTPUTS)  # the last output, even when it is not listed
    assert entry["truncated"] is True


def test_a_binary_output_keeps_its_none():
    entry = cell_output_entry(outputs(CellOutput("PLOT", None)), max_entry_chars=0)
    assert entry["outputs"] == [{"type": "PLOT", "text": None, "truncated": False}]
    assert entry["truncated"] is False


def test_a_100000_character_output_in_every_cell_keeps_the_xcom_value_bounded():
    huge = CellOutputs.from_reply(
        {
            "cellId": "c",
            "executionStatus": "VALID",
            "outputs": [{"outputType": "TEXT", "text": "9" * 100_000, "truncated": True}],
            "stdout": "s" * 10_000,
            "stdoutTruncated": True,
        }
    )
    cell_outputs = {f"ref {i}": cell_output_entry(huge) for i in range(50)}  # MAX_OUTPUT_CELLS references
    assert all(
        entry["truncated"] and len(entry["value"]) == MAX_TEXT_CHARS for entry in cell_outputs.values()
    )
    assert len(json.dumps(cell_outputs)) < 50 * 64 * 1024
    assert (
        len(json.dumps(cell_outputs["ref 0"])) == 30_199
    )  # value, stdout and the output: 10,000 characters each
