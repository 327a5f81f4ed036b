"""The settings of servers that answer differently: defaults, JSON round trip, and strict validation."""

from __future__ import annotations

import copy
import json
import re

import pytest

from airflow_provider_datalore.emulator import ApiToken, EmulatorConfig, Notebook
from airflow_provider_datalore.emulator.notebooks import ABSENT

NB = "o/nb"
QUIRKY = {
    "tokens": {
        "plain": {NB: "editor", "*": "viewer"},
        "rich": {
            "notebooks": {NB: "editor"},
            "expires_at": 1795687200,
            "scope": "notebook_api",
            "single_notebook": True,
        },
        "other-api": {
            "notebooks": {"*": "viewer"},
            "expires_at": None,
            "scope": "other",
            "single_notebook": False,
        },
    },
    "notebooks": [
        {
            "id": NB,
            "polls": 1,
            "duration": None,
            "outcome": "success",
            "artifacts": [{"name": "nb.ipynb", "path": None}],
            "status": "running",
            "time_format": "iso_offset",
            "success_while_running": False,
            "end_time_while_running": True,
            "final_status": "example",
            "reply_user_id": "u-runner",
            "reply_notebook_id": "full",
            "omit_fields": ["directFileStorageWrite", "readOnly"],
            "artifacts_reply": [{"name": "a.ipynb", "path": None}, 5, {"path": 7}],
            "files": {"data/notebook_files/in.csv": "a,b\n", "data/big.bin": {"size": 10, "seed": 3}},
            "run_writes": {"data/notebook_files/out.csv": {"size": 0, "seed": 0}},
            "cells": [
                {"id": "md", "type": "MARKDOWN", "source": "# Title"},
                {
                    "id": "flag",
                    "type": "CONTROL",
                    "source": "",
                    "control": {
                        "controlType": "CHECKBOX",
                        "label": "Flag",
                        "variable": "flag",
                        "value": True,
                    },
                    "polls": 0,
                    "seconds": 0,
                },
                {
                    "id": "code",
                    "type": "CODE",
                    "source": "x",
                    "outputs": [{"type": "TEXT", "text": "{flag}"}, {"type": "PLOT", "text": None}],
                    "stdout": "out",
                    "stderr": None,
                    "error": {"message": "boom", "traceback": "tb"},
                    "warning": False,
                    "data": {"language": "kotlin"},
                    "running_status": "PROCESSING_OUTPUT",
                    "final_status": None,
                    "polls": 3,
                    "seconds": 0.5,
                },
                {
                    "id": "sql",
                    "type": "SQL",
                    "source": "select 1",
                    "outputs": [],
                    "stdout": None,
                    "stderr": "careful",
                    "error": None,
                    "warning": True,
                    "data": None,
                    "running_status": "STARTED",
                    "final_status": "QUEUED_ON_GPU",
                    "polls": None,
                    "seconds": 0,
                },
            ],
            "kernel_boot_polls": 2,
            "interactive_waits": True,
            "publications": {"STATIC": "r-1"},
        },
        {
            "id": "o/null-artifacts",
            "polls": None,
            "duration": 0.5,
            "outcome": "failure",
            "artifacts": [{"name": "null-artifacts.ipynb", "path": None}],
            "status": "running",
            "time_format": "invalid",
            "success_while_running": None,
            "end_time_while_running": False,
            "final_status": None,
            "reply_user_id": None,
            "reply_notebook_id": "bare",
            "omit_fields": [],
            "artifacts_reply": None,
            "files": {},
            "run_writes": {},
            "cells": [],
            "kernel_boot_polls": 0,
            "interactive_waits": False,
            "publications": {},
        },
    ],
    "faults": [],
    "server_version": "2025-lenient",
    "interactive_reply": "no_content",
    "interactive_seconds": 0.3,
    "unknown_path_reply": "spring_json",
    "notebook_api": False,
    "artifacts_in_files": True,
    "file_content_length": False,
}


def test_defaults_keep_todays_behaviour():
    config = EmulatorConfig.default()
    notebook = Notebook(id=NB)

    assert (config.server_version, config.interactive_reply) == ("2026", "json")
    assert (config.interactive_seconds, config.unknown_path_reply) == (0, "text")
    assert (notebook.final_status, notebook.reply_user_id, notebook.reply_notebook_id) == (None, None, "bare")
    assert (notebook.artifacts_reply, notebook.omit_fields, notebook.time_format) == (ABSENT, (), "iso")
    assert EmulatorConfig.from_dict({}).to_dict() == {
        "tokens": {},
        "notebooks": [],
        "faults": [],
        "server_version": "2026",
        "interactive_reply": "json",
        "interactive_seconds": 0,
        "unknown_path_reply": "text",
        "notebook_api": True,
        "artifacts_in_files": False,
        "file_content_length": True,
    }


def test_every_setting_round_trips_through_json():
    config = EmulatorConfig.from_dict(copy.deepcopy(QUIRKY))

    assert config.to_dict() == QUIRKY
    assert EmulatorConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert config.tokens["plain"] == {NB: "editor", "*": "viewer"}, "today's form stays a plain map"
    assert config.tokens["rich"] == ApiToken({NB: "editor"}, 1795687200, "notebook_api", single_notebook=True)
    assert config.notebooks[0].omit_fields == ("directFileStorageWrite", "readOnly")


def test_artifacts_reply_absent_is_not_null():
    absent, null = Notebook(id=NB), Notebook(id=NB, artifacts_reply=None)

    assert "artifacts_reply" not in absent.to_dict()
    assert null.to_dict()["artifacts_reply"] is None
    assert absent != null
    assert Notebook.from_dict(absent.to_dict()).artifacts_reply is ABSENT
    assert Notebook.from_dict(null.to_dict()).artifacts_reply is None
    assert copy.deepcopy(absent).artifacts_reply is ABSENT, "the sentinel survives the runs' snapshots"


def test_notebook_settings_from_python_are_copied_and_normalised():
    artifacts = [{"name": "a.ipynb", "path": None}]
    notebook = Notebook(id=NB, artifacts_reply=artifacts, omit_fields=["endTime"])
    artifacts.append({"name": "late.csv"})

    assert notebook.artifacts_reply == [{"name": "a.ipynb", "path": None}]
    assert notebook.omit_fields == ("endTime",)
    assert hash(notebook) == hash(Notebook(id=NB, artifacts_reply=[], omit_fields=("endTime",)))


def test_a_token_of_the_object_form_with_defaults():
    config = EmulatorConfig.from_dict(
        {"tokens": {"t": {"notebooks": {NB: "viewer"}}}, "notebooks": [{"id": NB}]}
    )

    assert config.tokens["t"] == ApiToken(notebooks={NB: "viewer"})
    assert config.to_dict()["tokens"] == {
        "t": {"notebooks": {NB: "viewer"}, "expires_at": None, "scope": "full", "single_notebook": False}
    }


def _notebook(**settings):
    return {"notebooks": [{"id": NB, **settings}]}


def _token(token):
    return {"tokens": {"t": token}, "notebooks": [{"id": NB}, {"id": "o/two"}]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _notebook(final_status=""),
            "notebook o/nb: 'final_status' must be a non-empty string or null, got ''",
        ),
        (
            _notebook(final_status=1),
            "notebook o/nb: 'final_status' must be a non-empty string or null, got 1",
        ),
        (
            _notebook(reply_user_id=["u"]),
            "notebook o/nb: 'reply_user_id' must be a non-empty string or null, got ['u']",
        ),
        (
            _notebook(reply_notebook_id="owner/notebook"),
            "notebook o/nb: 'reply_notebook_id' must be one of 'bare', 'full', got 'owner/notebook'",
        ),
        (_notebook(artifacts_reply={1, 2}), "notebook o/nb: 'artifacts_reply' must be JSON, got {1, 2}"),
        (_notebook(omit_fields="endTime"), "notebook o/nb: 'omit_fields' must be a list, got 'endTime'"),
        (
            _notebook(omit_fields=["endTime", "end_time"]),
            "notebook o/nb: 'omit_fields' item must be one of 'runId', 'userId', 'notebookId', 'startTime', "
            "'endTime', 'success', 'status', 'updateReport', 'directFileStorageWrite', 'artifacts', 'readOnly', "
            "got 'end_time'",
        ),
        (_notebook(time_format="rfc2822"), "notebook o/nb: 'time_format' must be one of 'iso', 'epoch_ms', "),
        (_notebook(time_format="epoch"), "got 'epoch'"),
        (_notebook(reply_status="x"), "notebook: unknown key 'reply_status'"),
        (
            {"server_version": 2025},
            "config 'server_version' must be one of '2026', '2025-strict', '2025-lenient', got 2025",
        ),
        (
            {"server_version": "2025"},
            "config 'server_version' must be one of '2026', '2025-strict', '2025-lenient', got '2025'",
        ),
        (
            {"interactive_reply": "html"},
            "config 'interactive_reply' must be one of 'json', 'empty', 'text', 'no_content', got 'html'",
        ),
        ({"interactive_seconds": -0.1}, "config 'interactive_seconds' must be a number >= 0, got -0.1"),
        ({"interactive_seconds": "1"}, "config 'interactive_seconds' must be a number >= 0, got '1'"),
        ({"interactive_seconds": True}, "config 'interactive_seconds' must be a number >= 0, got True"),
        (
            {"interactive_seconds": float("inf")},
            "config 'interactive_seconds' must be a number >= 0, got inf",
        ),
        (
            {"unknown_path_reply": "json"},
            "config 'unknown_path_reply' must be one of 'text', 'spring_json', 'html', got 'json'",
        ),
        ({"server": "2026"}, "config: unknown key 'server'"),
        (
            _token({"notebooks": {NB: "editor"}, "expires_at": "2026-12-01"}),
            "token 'expires_at' must be a number (unix seconds) or null, got '2026-12-01'",
        ),
        (
            _token({"notebooks": {NB: "editor"}, "scope": "admin"}),
            "token 'scope' must be one of 'full', 'notebook_api', 'run_api', 'other', got 'admin'",
        ),
        (
            _token({"notebooks": {NB: "editor"}, "single_notebook": "yes"}),
            "token 'single_notebook' must be a boolean, got 'yes'",
        ),
        (
            _token({"notebooks": {NB: "editor", "o/two": "viewer"}, "single_notebook": True}),
            "token 'single_notebook' needs exactly one notebook in 'notebooks' (not '*'), got ['o/nb', 'o/two']",
        ),
        (
            _token({"notebooks": {"*": "editor"}, "single_notebook": True}),
            "token 'single_notebook' needs exactly one notebook in 'notebooks' (not '*'), got ['*']",
        ),
        (
            _token({"notebooks": {NB: "owner"}}),
            "access to 'o/nb' must be one of 'editor', 'viewer', got 'owner'",
        ),
        (
            _token({"notebooks": {"o/missing": "editor"}}),
            "token grants access to 'o/missing', which is not a configured notebook",
        ),
        (
            _token({"notebooks": [NB]}),
            "token access must be an object of notebook id -> access level, got ['o/nb']",
        ),
        (
            _token({NB: "editor", "expires_at": 5}),
            "token: unknown key 'o/nb' (allowed: notebooks, expires_at, scope, single_notebook)",
        ),
        (_token({"expires_at": 5}), "token: missing required key 'notebooks'"),
    ],
)
def test_bad_settings_are_refused_naming_the_key_and_value(data, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        EmulatorConfig.from_dict(data)


def test_python_api_validates_as_strictly():
    with pytest.raises(ValueError, match=re.escape("config 'server_version' must be one of")):
        EmulatorConfig(server_version="2024")
    with pytest.raises(ValueError, match=re.escape("'time_format' must be one of")):
        Notebook(id=NB, time_format="epoch_us")
    with pytest.raises(ValueError, match=re.escape("token 'scope' must be one of")):
        ApiToken({NB: "editor"}, scope="admin")
    with pytest.raises(ValueError, match=re.escape("a token must be a non-empty string, got ''")):
        EmulatorConfig(tokens={"": ApiToken({"*": "editor"})})
