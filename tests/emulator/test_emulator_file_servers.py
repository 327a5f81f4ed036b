"""Servers and tokens the Notebook API's files meet: one without the API, Run-API-only tokens, bad configs."""

from __future__ import annotations

import pytest
import requests

from airflow_provider_datalore.emulator import EmulatorConfig, Fault, Notebook

NB = "o/nb"
REF = {"ownerId": "o", "id": "nb"}
NOTEBOOK_API_PATHS = ["kernel/status", "files", "file", "file/exists", "file/delete", "file/upload", "cells"]


def _post(emulator, path: str, token: str = "t", **kwargs) -> requests.Response:
    kwargs.setdefault("json", {"notebookId": REF, "filePath": "data/notebook_files/a"})
    return requests.post(
        f"{emulator.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10, **kwargs
    )


def _config(token: dict | None = None, **server) -> dict:
    notebook = {"id": NB, "polls": 0, "files": {"data/notebook_files/a": "x"}}
    return {"tokens": {"t": token or {"*": "editor"}}, "notebooks": [notebook], **server}


@pytest.mark.parametrize("path", NOTEBOOK_API_PATHS)
@pytest.mark.parametrize("prefix", ["", "/datalore"])
def test_a_server_without_the_notebook_api_answers_an_html_404(make_emulator, path, prefix):
    emulator = make_emulator(_config(notebook_api=False, server_version="2025-strict"), prefix=prefix)
    emulator.add_faults(Fault(endpoint="files", status=503))

    response = _post(emulator, f"/api/notebook/v1/{path}")

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert b"<html>" in response.content
    assert emulator.journal[-1].status == 404
    assert len(emulator.pending_faults) == 1, "no endpoint there to take a fault"


def test_a_server_without_the_notebook_api_still_runs_notebooks(make_emulator, client_for):
    emulator = make_emulator(_config(notebook_api=False))
    run = client_for(emulator, "t")

    assert run.status(run.start_id(NB)).json()["success"] is True


def test_the_notebook_api_is_there_by_default_whatever_the_server_version(make_emulator):
    emulator = make_emulator(_config(server_version="2025-lenient"))

    response = _post(emulator, "/api/notebook/v1/kernel/status", json={"notebookId": REF})

    assert (response.status_code, response.json()) == (200, {"state": "NOT_STARTED", "runningCellId": None})


@pytest.mark.parametrize("path", NOTEBOOK_API_PATHS[:-1])
@pytest.mark.parametrize(
    ("scope", "error"),
    [
        ("run_api", "The API token's scope does not cover the Notebook API"),
        ("other", "The API token's scope does not cover the Notebook API"),
    ],
)
def test_a_token_whose_scope_lacks_the_notebook_api_is_403_there(make_emulator, path, scope, error):
    emulator = make_emulator(_config({"notebooks": {"*": "editor"}, "scope": scope}))

    response = _post(emulator, f"/api/notebook/v1/{path}")

    assert (response.status_code, response.json()) == (403, {"error": error})
    assert emulator.journal[-1].token_valid is True, "valid, only not for this API"


def test_a_run_api_token_runs_notebooks_but_reads_no_files(make_emulator, client_for):
    emulator = make_emulator(_config({"notebooks": {"*": "editor"}, "scope": "run_api"}))
    run = client_for(emulator, "t")

    assert run.status(run.start_id(NB)).json()["success"] is True
    assert run.interactive(NB).status_code == 200
    assert _post(emulator, "/api/notebook/v1/file").status_code == 403


@pytest.mark.parametrize("scope", ["full", "notebook_api"])
def test_full_and_notebook_api_tokens_read_files(make_emulator, scope):
    emulator = make_emulator(_config({"notebooks": {"*": "editor"}, "scope": scope}))

    assert _post(emulator, "/api/notebook/v1/file").content == b"x"


def test_a_token_of_another_scope_still_names_the_run_api_there(make_emulator, client_for):
    emulator = make_emulator(_config({"notebooks": {"*": "editor"}, "scope": "other"}))

    response = client_for(emulator, "t").start(NB)

    assert response.json() == {"error": "The API token's scope does not cover the Run API"}


def test_a_token_limited_to_another_notebook_is_403_on_files(make_emulator):
    config = _config({"notebooks": {"o/other": "editor"}, "single_notebook": True})
    config["notebooks"].append({"id": "o/other"})
    emulator = make_emulator(config)

    response = _post(emulator, "/api/notebook/v1/files", json={"notebookId": REF, "directory": "data"})

    assert (response.status_code, response.json()) == (
        403,
        {"error": "This API token is limited to notebook o/other"},
    )


def test_add_notebook_gives_it_a_fresh_tree(make_emulator):
    emulator = make_emulator(_config())

    emulator.add_notebook(Notebook(id=NB, files={"data/notebook_files/b": "y"}))

    assert _post(emulator, "/api/notebook/v1/file").status_code == 404
    assert (
        _post(
            emulator, "/api/notebook/v1/file", json={"notebookId": REF, "filePath": "data/notebook_files/b"}
        ).content
        == b"y"
    )


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"/abs": "x"}, "notebook o/nb: 'files': '/abs' is not a path relative to the notebook's root"),
        ({"a/../b": "x"}, "notebook o/nb: 'files': 'a/../b' is not a path relative to the notebook's root"),
        ({"": "x"}, "notebook o/nb: 'files': '' is not a path relative to the notebook's root"),
        (
            {"data/notebook_files": "x"},
            "notebook o/nb: 'files': 'data/notebook_files' is a folder every notebook has, not a file",
        ),
        ({"a": "x", "a/b": "y"}, "notebook o/nb: 'files': 'a' is a file, so 'a/b' cannot be below it"),
        ({"a": "x", "./a": "y"}, "notebook o/nb: 'files': './a' names the same file as another key"),
        ({"a": 5}, "notebook o/nb: 'files' 'a' must be a string (its text) or {'size', 'seed'}, got 5"),
        ({"a": {"size": 1}}, "notebook o/nb: 'files' 'a': missing required key 'seed'"),
        (
            {"a": {"size": 1, "seed": 1, "x": 1}},
            "notebook o/nb: 'files' 'a': unknown key 'x' (allowed: size, seed)",
        ),
        ({"a": {"size": -1, "seed": 1}}, "notebook o/nb: 'files' 'a' 'size' must be an integer from 0 to"),
        ({"a": {"size": True, "seed": 1}}, "notebook o/nb: 'files' 'a' 'size' must be an integer from 0 to"),
        (
            {"a": {"size": 1, "seed": "s"}},
            "notebook o/nb: 'files' 'a' 'seed' must be an integer from 0 to 2**64 - 1",
        ),
        (["a"], "notebook o/nb: 'files' must be an object of path -> text or {'size', 'seed'}, got ['a']"),
    ],
)
def test_bad_files_are_refused_naming_the_value(files, message):
    for key in ("files", "run_writes"):
        with pytest.raises(ValueError) as raised:
            EmulatorConfig.from_dict({"notebooks": [{"id": NB, key: files}]})
        assert str(raised.value).startswith(message.replace("'files'", repr(key))), str(raised.value)


@pytest.mark.parametrize("key", ["notebook_api", "artifacts_in_files", "file_content_length"])
def test_the_file_switches_must_be_booleans(key):
    with pytest.raises(ValueError, match=f"config '{key}' must be a boolean, got 'no'"):
        EmulatorConfig.from_dict({key: "no"})
