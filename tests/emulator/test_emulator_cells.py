"""The emulator's cells: their config, the /cells and /cell replies, controls, truncation and publishing."""

from __future__ import annotations

import pytest

from airflow_provider_datalore.emulator import EmulatorConfig, Notebook
from airflow_provider_datalore.emulator.cells import Cell

NB = "o/nb"
TEXT_INPUT = {"controlType": "TEXT_INPUT", "label": "Who", "variable": "who", "value": "world"}
CELLS = [
    {"id": "md", "type": "MARKDOWN", "source": "# Hello"},
    {"id": "who", "type": "CONTROL", "control": TEXT_INPUT},
    {
        "id": "hi",
        "type": "CODE",
        "source": "print(f'hello {who}')",
        "stdout": "hello {who}\n",
        "outputs": [
            {"type": "TEXT", "text": "hello {who}\n"},
            {"type": "SPARKLINE_V2", "text": "{who}{unknown}"},
        ],
    },
    {"id": "q", "type": "SQL", "source": "select 1", "data": {"databaseId": "db-1", "variableName": "df"}},
]
ALL_DONE = {"polls": 0}


@pytest.fixture
def serve(serve_json, cells_for):
    """Return a factory: an emulator with one notebook ``o/nb`` of these cells (and settings), and its client."""

    def make(cells=None, token=None, **notebook):
        emulator, _ = serve_json([{"id": NB, "cells": CELLS if cells is None else cells, **notebook}], token)
        return emulator, cells_for(emulator, notebook=NB)

    return make


def _run_all(nb) -> None:
    """Start an interactive run and read the kernel status until it is READY."""
    nb.start()
    for _ in range(50):
        if nb.kernel()["state"] == "READY":
            return
    raise AssertionError("the run did not finish")


# Config


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (
            {"id": "x", "type": "PYTHON"},
            "notebook o/nb: cells[0] 'type' must be one of 'CODE', 'MARKDOWN', 'SQL', 'CONTROL', got 'PYTHON'",
        ),
        ({"type": "CODE"}, "notebook o/nb: cells[0]: missing required key 'id'"),
        ({"id": "", "type": "CODE"}, "notebook o/nb: cells[0] 'id' must be a non-empty string, got ''"),
        (
            {"id": "m", "type": "MARKDOWN", "outputs": []},
            "notebook o/nb: cells[0] (MARKDOWN): unknown key 'outputs' (allowed: id, type, source)",
        ),
        ({"id": "c", "type": "CONTROL"}, "notebook o/nb: cells[0] 'c': a CONTROL cell needs 'control'"),
        (
            {"id": "c", "type": "CODE", "control": TEXT_INPUT},
            "notebook o/nb: cells[0] (CODE): unknown key 'control' (allowed: id, type, source, outputs, stdout, stderr, error, warning, data, running_status, final_status, polls, seconds)",
        ),
        (
            {"id": "c", "type": "CODE", "polls": -1},
            "notebook o/nb: cells[0] 'c' 'polls' must be an integer >= 0, got -1",
        ),
        (
            {"id": "c", "type": "CODE", "seconds": "1"},
            "notebook o/nb: cells[0] 'c' 'seconds' must be a number >= 0, got '1'",
        ),
        (
            {"id": "c", "type": "CODE", "outputs": [{"text": "x"}]},
            "notebook o/nb: cells[0] 'c' outputs[0]: missing required key 'type'",
        ),
        (
            {"id": "c", "type": "CODE", "outputs": [{"type": "TEXT", "text": 5}]},
            "notebook o/nb: cells[0] 'c' outputs[0] 'text' must be a string or null, got 5",
        ),
        (
            {"id": "c", "type": "CODE", "error": {"traceback": "tb"}},
            "notebook o/nb: cells[0] 'c' 'error': missing required key 'message'",
        ),
        (
            {"id": "c", "type": "CODE", "error": {"message": "m"}, "warning": True},
            "notebook o/nb: cells[0] 'c': 'error' and 'warning' exclude each other (a cell ends ERROR or WARNING)",
        ),
        (
            {"id": "c", "type": "CODE", "stdout": 1},
            "notebook o/nb: cells[0] 'c' 'stdout' must be a string or null, got 1",
        ),
        (
            {"id": "c", "type": "CONTROL", "control": {"controlType": "KNOB", "label": "", "variable": "v"}},
            "notebook o/nb: cells[0] 'c' 'control': 'controlType' must be one of CHECKBOX, SLIDER, TEXT_INPUT, DATEPICKER, DROPDOWN, got 'KNOB'",
        ),
        (
            {"id": "c", "type": "CONTROL", "control": {"controlType": "CHECKBOX", "label": "L"}},
            "notebook o/nb: cells[0] 'c' 'control': a control needs 'variable'",
        ),
        (
            {
                "id": "c",
                "type": "CONTROL",
                "control": {"controlType": "CHECKBOX", "label": "L", "variable": "not valid"},
            },
            "notebook o/nb: cells[0] 'c' 'control': CHECKBOX control field 'variable' must be a Python identifier, got 'not valid'",
        ),
        (
            {
                "id": "c",
                "type": "CONTROL",
                "control": {"controlType": "CHECKBOX", "label": "L", "variable": "v", "value": "true"},
            },
            "notebook o/nb: cells[0] 'c' 'control': CHECKBOX control field 'value' must be a boolean, got 'true'",
        ),
        (
            {
                "id": "c",
                "type": "CONTROL",
                "control": {"controlType": "SLIDER", "label": "L", "variable": "v", "max": 10},
            },
            "notebook o/nb: cells[0] 'c' 'control': SLIDER control field 'max' must be a number as a string, e.g. '100', got 10",
        ),
        (
            {
                "id": "c",
                "type": "CONTROL",
                "control": {
                    "controlType": "DATEPICKER",
                    "label": "L",
                    "variable": "v",
                    "startDate": "01/11/2026",
                },
            },
            "notebook o/nb: cells[0] 'c' 'control': DATEPICKER control field 'startDate' must be an ISO date 'YYYY-MM-DD' or null, got '01/11/2026'",
        ),
        (
            {
                "id": "c",
                "type": "CONTROL",
                "control": {"controlType": "DROPDOWN", "label": "L", "variable": "v", "items": "a,b"},
            },
            "notebook o/nb: cells[0] 'c' 'control': DROPDOWN control field 'items' must be a list of strings, got 'a,b'",
        ),
        (
            {
                "id": "c",
                "type": "CONTROL",
                "control": {"controlType": "CHECKBOX", "label": "L", "variable": "v", "multiline": True},
            },
            "notebook o/nb: cells[0] 'c' 'control': unknown field 'multiline' of a CHECKBOX control (allowed: controlType, label, variable, value)",
        ),
    ],
)
def test_a_bad_cell_is_refused_naming_it(cell, message):
    with pytest.raises(ValueError) as raised:
        Notebook.from_dict({"id": NB, "cells": [cell]})
    assert str(raised.value) == message


def test_cell_ids_and_control_variables_are_unique():
    with pytest.raises(ValueError, match="^notebook o/nb: two cells have the id 'a'$"):
        Notebook(id=NB, cells=[{"id": "a", "type": "CODE"}, {"id": "a", "type": "SQL"}])
    control = {"controlType": "CHECKBOX", "label": "", "variable": "v"}
    with pytest.raises(ValueError, match="^notebook o/nb: two control cells assign 'v'$"):
        Notebook(
            id=NB,
            cells=[
                {"id": "a", "type": "CONTROL", "control": control},
                {"id": "b", "type": "CONTROL", "control": control},
            ],
        )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"kernel_boot_polls": -1}, "notebook o/nb: 'kernel_boot_polls' must be an integer >= 0, got -1"),
        ({"interactive_waits": "yes"}, "notebook o/nb: 'interactive_waits' must be a boolean, got 'yes'"),
        (
            {"publications": {"PDF": "r"}},
            "notebook o/nb: 'publications' key must be one of 'STATIC', 'INTERACTIVE', got 'PDF'",
        ),
        (
            {"publications": {"STATIC": ""}},
            "notebook o/nb: 'publications' 'STATIC' must be a non-empty reportId string, got ''",
        ),
    ],
)
def test_bad_notebook_settings_are_refused(settings, message):
    with pytest.raises(ValueError) as raised:
        Notebook.from_dict({"id": NB, **settings})
    assert str(raised.value) == message


def test_a_control_takes_its_types_defaults_and_the_cells_round_trip():
    notebook = Notebook.from_dict(
        {
            "id": NB,
            "cells": [
                {
                    "id": "d",
                    "type": "CONTROL",
                    "control": {"controlType": "DROPDOWN", "label": "D", "variable": "d"},
                }
            ],
        }
    )

    assert notebook.cells[0].control == {
        "controlType": "DROPDOWN",
        "label": "D",
        "variable": "d",
        "items": [],
        "selectedValue": None,
        "multiselect": False,
        "selectedValues": [],
        "selectedVariable": None,
    }
    assert Notebook.from_dict(notebook.to_dict()).cells == notebook.cells
    assert isinstance(notebook.cells[0], Cell)


def test_the_default_notebook_has_a_control_of_every_kind_and_a_kpi():
    [notebook] = [nb for nb in EmulatorConfig.default().notebooks if nb.id == "demo/sales-report"]

    assert [(cell.id, cell.type) for cell in notebook.cells] == [
        ("intro", "MARKDOWN"),
        ("period", "CONTROL"),
        ("region", "CONTROL"),
        ("min-amount", "CONTROL"),
        ("returns", "CONTROL"),
        ("title", "CONTROL"),
        ("load", "CODE"),
        ("table", "CODE"),
        ("summary", "CODE"),
        ("chart", "CODE"),
        ("kpi", "CODE"),
    ]
    controls = [cell.control for cell in notebook.cells if cell.control is not None]
    assert [c["controlType"] for c in controls] == [
        "DATEPICKER",
        "DROPDOWN",
        "SLIDER",
        "CHECKBOX",
        "TEXT_INPUT",
    ]
    assert controls[0]["withRange"] is True
    assert (controls[2]["min"], controls[2]["max"], controls[2]["step"]) == ("0", "500", "10")


# Replies


def test_cells_summary_sends_each_cells_type_position_source_and_data(serve):
    _, nb = serve()

    assert nb.cells() == {
        "cells": [
            {"cellId": "md", "cellType": "MARKDOWN", "position": 0, "source": "# Hello", "data": {}},
            {
                "cellId": "who",
                "cellType": "CONTROL",
                "position": 1,
                "source": "",
                "data": {"control": {**TEXT_INPUT, "multiline": False}},
            },
            {
                "cellId": "hi",
                "cellType": "CODE",
                "position": 2,
                "source": "print(f'hello {who}')",
                "data": {"language": "python"},
            },
            {
                "cellId": "q",
                "cellType": "SQL",
                "position": 3,
                "source": "select 1",
                "data": {"databaseId": "db-1", "variableName": "df"},
            },
        ],
        "cellsWithOutputs": None,
        "outputsTruncated": False,
        "outputsTruncatedFromCellId": None,
    }


def test_a_run_fills_the_variables_into_outputs_and_stdout_and_cell_sends_the_detail(serve):
    _, nb = serve()
    _run_all(nb)

    assert nb.untimed(nb.body("cell", cellId="hi")) == {
        "cell": {
            "cellId": "hi",
            "cellType": "CODE",
            "position": 2,
            "source": "print(f'hello {who}')",
            "executionStatus": "VALID",
            "executionCount": 2,
            "timing": "timed",
            "outputs": [
                {"outputType": "TEXT", "text": "hello world\n", "truncated": False},
                {"outputType": "SPARKLINE_V2", "text": "world{unknown}", "truncated": False},
            ],
            "data": {"language": "python"},
        }
    }
    assert nb.outputs("hi")["stdout"] == "hello world\n"
    details = nb.untimed(nb.cells(include_outputs=True))
    assert details["cells"] == []
    assert [
        (c["cellId"], c["executionStatus"], c["executionCount"], c["timing"])
        for c in details["cellsWithOutputs"]
    ] == [
        ("md", "NONE", None, None),
        ("who", "VALID", 1, "timed"),
        ("hi", "VALID", 2, "timed"),
        ("q", "VALID", 3, "timed"),
    ]


def test_the_default_notebooks_kpi_and_summary_show_its_controls_values(datalore_emulator, cells_for):
    nb = cells_for(datalore_emulator)
    _run_all(nb)

    assert nb.outputs("kpi")["outputs"] == [
        {"outputType": "LAST_EXPRESSION", "text": "1234", "truncated": False}
    ]
    assert (
        nb.outputs("summary")["stdout"]
        == "Monthly sales: EMEA, 2026-11-01/2026-11-30, orders >= 50, returns: False\n"
    )
    assert nb.outputs("chart")["outputs"] == [{"outputType": "PLOT", "text": None, "truncated": False}]
    assert nb.outputs("table")["outputs"][0]["outputType"] == "TABLE"


@pytest.mark.parametrize(
    ("endpoint", "body", "status", "error"),
    [
        ("cell", {"cellId": "nope"}, 404, "Cell nope not found in notebook o/nb"),
        ("cell/outputs", {"cellId": "nope"}, 404, "Cell nope not found in notebook o/nb"),
        ("cell", {}, 400, "Missing required field 'cellId'"),
        ("cell/outputs", {"cellId": 7}, 400, "Field 'cellId' must be a non-empty string, got 7"),
        ("cells", {"includeOutputs": "yes"}, 400, "Field 'includeOutputs' must be a boolean, got 'yes'"),
        ("cells", {"worksheetIndex": 1}, 404, "Worksheet 1 not found in notebook o/nb"),
        ("cells", {"worksheetIndex": -1}, 400, "Field 'worksheetIndex' must be an integer >= 0, got -1"),
        (
            "cells",
            {"limit": 5},
            400,
            "Unknown field 'limit' (allowed: notebookId, worksheetIndex, includeOutputs)",
        ),
    ],
)
def test_bad_cell_reads_are_answered_as_documented(serve, endpoint, body, status, error):
    _, nb = serve()

    assert nb.body(endpoint, status, **body) == {"error": error}


# Controls


def test_a_control_update_is_stored_and_reaches_the_kernel_only_when_the_cell_runs(serve):
    emulator, nb = serve()
    _run_all(nb)

    reply = nb.body(
        "cell/controls/update", cellId="who", control={"controlType": "TEXT_INPUT", "value": "Datalore"}
    )

    assert reply == {"cellId": "who", "applied": True, "runResult": None}
    assert nb.cells()["cells"][1]["data"] == {
        "control": {**TEXT_INPUT, "value": "Datalore", "multiline": False}
    }
    assert nb.body("cells/run", cellIds=["hi"])["results"][0]["stdout"] == "hello world\n", (
        "not run: old value"
    )
    ran = nb.body(
        "cell/controls/update",
        cellId="who",
        control={"controlType": "TEXT_INPUT", "value": "Airflow"},
        run=True,
    )
    assert nb.untimed(ran) == {
        "cellId": "who",
        "applied": True,
        "runResult": {
            "cellId": "who",
            "executionStatus": "VALID",
            "executionCount": 5,
            "timing": "timed",
            "stdout": None,
            "stderr": None,
            "errorMessage": None,
            "errorTraceback": None,
            "outputs": [],
            "stdoutTruncated": False,
            "stderrTruncated": False,
            "errorTracebackTruncated": False,
        },
    }
    assert nb.body("cells/run", cellIds=["hi"])["results"][0]["stdout"] == "hello Airflow\n"
    assert emulator.notebook_state(NB)["kernel"]["variables"] == {"who": "Airflow"}


def test_a_control_update_starts_the_session(serve):
    _, nb = serve()

    nb.body("cell/controls/update", cellId="who", control={"controlType": "TEXT_INPUT"}, run=True)

    assert nb.kernel() == {"state": "READY", "runningCellId": None}


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (
            {"cellId": "who", "control": {"controlType": "SLIDER", "value": "3"}},
            400,
            "Cell who: control type mismatch: the cell's control is TEXT_INPUT, got 'SLIDER'",
        ),
        (
            {"cellId": "who", "control": {"value": "x"}},
            400,
            "Cell who: control type mismatch: the cell's control is TEXT_INPUT, got None",
        ),
        (
            {"cellId": "who", "control": {"controlType": "TEXT_INPUT", "value": 3}},
            400,
            "Cell who: TEXT_INPUT control field 'value' must be a string, got 3",
        ),
        (
            {"cellId": "who", "control": {"controlType": "TEXT_INPUT", "items": []}},
            400,
            "Cell who: unknown field 'items' of a TEXT_INPUT control (allowed: controlType, label, variable, value, multiline)",
        ),
        (
            {"cellId": "hi", "control": {"controlType": "TEXT_INPUT"}},
            400,
            "Cell hi is a CODE cell, not a CONTROL cell",
        ),
        (
            {"cellId": "nope", "control": {"controlType": "TEXT_INPUT"}},
            404,
            "Cell nope not found in notebook o/nb",
        ),
        (
            {"cellId": "who", "control": "x"},
            400,
            "Field 'control' must be an object with 'controlType', got 'x'",
        ),
        (
            {"cellId": "who", "control": {"controlType": "TEXT_INPUT"}, "run": 1},
            400,
            "Field 'run' must be a boolean, got 1",
        ),
    ],
)
def test_a_bad_control_update_changes_nothing(serve, body, status, error):
    _, nb = serve()
    before = nb.cells()

    assert nb.body("cell/controls/update", status, **body) == {"error": error}
    assert nb.cells() == before


def test_a_control_update_with_run_is_409_busy_mid_run_and_stores_nothing(serve):
    _, nb = serve()
    nb.start()

    busy = nb.body(
        "cell/controls/update",
        409,
        cellId="who",
        control={"controlType": "TEXT_INPUT", "value": "x"},
        run=True,
    )

    assert busy == {"error": "The kernel of notebook o/nb is busy running cell who", "state": "BUSY"}
    assert nb.cells()["cells"][1]["data"]["control"]["value"] == "world"


# Truncation


def test_one_output_is_cut_at_100000_characters(serve):
    long = "x" * 100_001
    _, nb = serve(
        [
            {
                "id": "big",
                "type": "CODE",
                "outputs": [{"type": "HTML", "text": long}, {"type": "TEXT", "text": "y" * 100_000}],
                **ALL_DONE,
            }
        ]
    )
    _run_all(nb)

    for outputs in (
        nb.outputs("big")["outputs"],
        nb.body("cell", cellId="big")["cell"]["outputs"],
        nb.cells(include_outputs=True)["cellsWithOutputs"][0]["outputs"],
    ):
        assert outputs == [
            {"outputType": "HTML", "text": "x" * 100_000, "truncated": True},
            {"outputType": "TEXT", "text": "y" * 100_000, "truncated": False},
        ]


def test_cells_with_outputs_stops_sending_outputs_past_5_million_characters(serve):
    text = "z" * 100_000
    cells = [
        {"id": f"c{i}", "type": "CODE", "outputs": [{"type": "TEXT", "text": text}], **ALL_DONE}
        for i in range(52)
    ]
    cells.append({"id": "tiny", "type": "CODE", "outputs": [{"type": "TEXT", "text": "1"}], **ALL_DONE})
    _, nb = serve(cells, interactive_waits=True)
    nb.start()

    reply = nb.cells(include_outputs=True)

    assert (reply["outputsTruncated"], reply["outputsTruncatedFromCellId"]) == (True, "c50")
    details = reply["cellsWithOutputs"]
    assert [len(d["outputs"]) for d in details] == [1] * 50 + [0] * 3, (
        "50 x 100,000 fit; c50 would pass the cap"
    )
    assert [(d["cellId"], d["executionStatus"]) for d in details[50:]] == [
        ("c50", "VALID"),
        ("c51", "VALID"),
        ("tiny", "VALID"),
    ]
    assert nb.outputs("c51")["outputs"] == [{"outputType": "TEXT", "text": text, "truncated": False}]
    summary = nb.cells()
    assert (summary["outputsTruncated"], summary["outputsTruncatedFromCellId"]) == (False, None)


def test_stdout_stderr_and_traceback_are_cut_at_10000_characters_with_their_flags(serve):
    cell = {
        "id": "loud",
        "type": "CODE",
        "stdout": "o" * 10_001,
        "stderr": "e" * 10_000,
        "error": {"message": "m" * 20_000, "traceback": "t" * 50_000},
        **ALL_DONE,
    }
    _, nb = serve([cell])
    _run_all(nb)

    reply = nb.outputs("loud")

    assert (reply["stdout"], reply["stdoutTruncated"]) == ("o" * 10_000, True)
    assert (reply["stderr"], reply["stderrTruncated"]) == ("e" * 10_000, False)
    assert (reply["errorTraceback"], reply["errorTracebackTruncated"]) == ("t" * 10_000, True)
    assert reply["errorMessage"] == "m" * 20_000, "the message is not one of the documented cuts"


# Publishing


def test_publish_creates_updates_and_creates_anew(serve, client_for):
    emulator, nb = serve()

    assert nb.body("report/publish", 400, type="STATIC", mode="UPDATE") == {
        "error": "Notebook o/nb has no STATIC publication to update: publish it with mode CREATE first"
    }
    created = nb.body("report/publish", type="STATIC", mode="CREATE")
    report_id = created["reportId"]
    assert created == {"reportId": report_id, "type": "STATIC", "mode": "CREATE"}
    assert nb.body("report/publish", type="STATIC", mode="UPDATE") == {
        "reportId": report_id,
        "type": "STATIC",
        "mode": "UPDATE",
    }
    again = nb.body("report/publish", type="STATIC", mode="CREATE")["reportId"]
    assert again != report_id
    assert nb.body("report/publish", 400, type="INTERACTIVE", mode="UPDATE")["error"].startswith(
        "Notebook o/nb has no INTERACTIVE"
    )
    state = emulator.notebook_state(NB)
    assert state["reports"] == {"STATIC": again}
    assert [(p["reportId"], p["mode"], p["computationMode"], p["fullWidth"]) for p in state["publishes"]] == [
        (report_id, "CREATE", None, True),
        (report_id, "UPDATE", None, True),
        (again, "CREATE", None, True),
    ]


def test_publish_updates_a_publication_the_config_gives(serve):
    emulator, nb = serve(publications={"INTERACTIVE": "rep-7"})

    reply = nb.body(
        "report/publish",
        type="INTERACTIVE",
        mode="UPDATE",
        computationMode="JUPYTER",
        canDownloadAndEditCopy=True,
    )

    assert reply == {"reportId": "rep-7", "type": "INTERACTIVE", "mode": "UPDATE"}
    [publish] = emulator.notebook_state(NB)["publishes"]
    assert (publish["computationMode"], publish["canDownloadAndEditCopy"]) == ("JUPYTER", True)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"type": "PDF", "mode": "CREATE"}, "Field 'type' must be STATIC or INTERACTIVE, got 'PDF'"),
        ({"type": "STATIC", "mode": "REPLACE"}, "Field 'mode' must be CREATE or UPDATE, got 'REPLACE'"),
        ({"type": "STATIC"}, "Field 'mode' must be CREATE or UPDATE, got None"),
        (
            {"type": "STATIC", "mode": "CREATE", "computationMode": "REACTIVE"},
            "Field 'computationMode' applies to INTERACTIVE reports only",
        ),
        (
            {"type": "INTERACTIVE", "mode": "CREATE", "computationMode": "LIVE"},
            "Field 'computationMode' must be REACTIVE or JUPYTER, got 'LIVE'",
        ),
        (
            {"type": "STATIC", "mode": "CREATE", "fullWidth": "no"},
            "Field 'fullWidth' must be a boolean, got 'no'",
        ),
    ],
)
def test_a_bad_publish_is_400(serve, body, error):
    emulator, nb = serve()

    assert nb.body("report/publish", 400, **body) == {"error": error}
    assert emulator.notebook_state(NB)["publishes"] == []


# Tokens


NEW_ENDPOINTS = [
    ("cells", {}),
    ("cell", {"cellId": "hi"}),
    ("cell/outputs", {"cellId": "hi"}),
    ("cell/controls/update", {"cellId": "who", "control": {"controlType": "TEXT_INPUT"}}),
    ("cell/run", {"cellId": "hi"}),
    ("cells/run", {"cellIds": ["hi"]}),
    ("kernel/status", {}),
    ("kernel/interrupt", {}),
    ("report/publish", {"type": "STATIC", "mode": "CREATE"}),
]


@pytest.mark.parametrize(("endpoint", "body"), NEW_ENDPOINTS, ids=[e for e, _ in NEW_ENDPOINTS])
def test_a_run_api_token_is_403_on_every_notebook_endpoint(serve, endpoint, body):
    emulator, nb = serve(token={"notebooks": {"*": "editor"}, "scope": "run_api"})

    assert nb.body(endpoint, 403, **body) == {
        "error": "The API token's scope does not cover the Notebook API"
    }
    assert emulator.notebook_state(NB)["kernel"]["state"] == "NOT_STARTED"


@pytest.mark.parametrize(("endpoint", "body"), NEW_ENDPOINTS, ids=[e for e, _ in NEW_ENDPOINTS])
def test_a_viewer_reads_but_changes_and_runs_nothing(serve, endpoint, body):
    _, nb = serve(token={NB: "viewer"})
    changes = endpoint in (
        "cell/controls/update",
        "cell/run",
        "cells/run",
        "kernel/interrupt",
        "report/publish",
    )

    response = nb.post(endpoint, {"notebookId": nb.ref, **body})

    if changes:
        assert (response.status_code, response.json()) == (
            403,
            {"error": "You have view-only access to notebook o/nb"},
        )
    else:
        assert response.status_code == 200, response.text


def test_a_notebook_the_token_does_not_see_is_404(serve, cells_for):
    emulator, _ = serve()
    stranger = cells_for(emulator, notebook="o/elsewhere")

    assert stranger.body("cells", 404) == {
        "error": "Notebook o/elsewhere is not shared with you or does not exist"
    }
