"""API tokens as Datalore 2026.2 makes them: with an expiry, a scope, or made for one notebook."""

from __future__ import annotations

import time

import pytest
import requests

TOKEN = "emulator-token"
NB = "o/nb"
OTHER = "o/other"
EXPIRED = {"error": "The API token has expired"}
INVALID = {"error": "The API token is invalid or expired"}
OUT_OF_SCOPE = {"error": "The API token's scope does not cover the Run API"}


def _answers(client, notebook_id: str = NB, run_id: str = "some-run") -> list[tuple[int, object]]:
    """Return what the three endpoints answer the client: start, status of ``run_id``, interactive."""
    responses = [client.start(notebook_id), client.status(run_id), client.interactive(notebook_id)]
    return [(response.status_code, response.json()) for response in responses]


def test_a_token_that_expired_is_401_on_every_endpoint(serve_json):
    token = {"notebooks": {NB: "editor"}, "expires_at": time.time() - 1}
    emulator, client = serve_json([{"id": NB}], token)

    assert _answers(client) == [(401, EXPIRED)] * 3
    assert emulator.runs == {}
    assert emulator.interactive_runs == []
    assert [entry.token_valid for entry in emulator.journal] == [False] * 3


def test_a_token_that_has_not_expired_yet_works(serve_json):
    emulator, client = serve_json(
        [{"id": NB, "polls": 0}], {"notebooks": {NB: "editor"}, "expires_at": time.time() + 60}
    )

    run_id = client.start_id(NB)

    assert client.status(run_id).json()["success"] is True
    assert [entry.token_valid for entry in emulator.journal] == [True, True]


def test_expire_token_while_a_run_goes_on(serve_json):
    emulator, client = serve_json([{"id": NB, "polls": 5}])
    run_id = client.start_id(NB)
    assert client.status(run_id).status_code == 200

    emulator.expire_token(TOKEN)

    response = client.status(run_id)
    assert (response.status_code, response.json()) == (401, EXPIRED)
    assert emulator.runs[run_id].status_polls == 1, "the refused poll reached no run"
    emulator.revoke_token(TOKEN)
    assert client.status(run_id).json() == INVALID, "revoked is not expired"
    with pytest.raises(KeyError):
        emulator.expire_token("no-such-token")


@pytest.mark.parametrize("scope", ["full", "notebook_api"])
def test_scopes_that_cover_the_run_api(serve_json, scope):
    _, client = serve_json([{"id": NB, "polls": 0}], {"notebooks": {NB: "editor"}, "scope": scope})

    run_id = client.start_id(NB)

    assert client.status(run_id).status_code == 200
    assert (client.interactive(NB).status_code, client.interactive(NB).json()) == (200, {})


def test_a_token_of_another_scope_is_403_on_every_endpoint(serve_json):
    emulator, client = serve_json([{"id": NB}], {"notebooks": {NB: "editor"}, "scope": "other"})

    assert _answers(client) == [(403, OUT_OF_SCOPE)] * 3
    assert emulator.runs == {}
    assert [entry.token_valid for entry in emulator.journal] == [True] * 3, "valid, only not for this API"
    bad_body = requests.post(
        f"{emulator.url}/api/run/v1/notebook", json={"x": 1}, headers=client.headers, timeout=10
    )
    assert (bad_body.status_code, bad_body.json()) == (403, OUT_OF_SCOPE), (
        "the scope is checked before the body"
    )


def test_an_expired_token_of_another_scope_is_401(serve_json):
    token = {"notebooks": {NB: "editor"}, "scope": "other", "expires_at": 0}
    _, client = serve_json([{"id": NB}], token)

    assert _answers(client)[0] == (401, EXPIRED)


def test_a_token_made_for_one_notebook(serve_json, client_for):
    token = {"notebooks": {NB: "editor"}, "single_notebook": True}
    emulator, client = serve_json([{"id": NB, "polls": 0}, {"id": OTHER, "polls": 5}], token)
    emulator.add_token("wide", {"*": "editor"})
    other_run = client_for(emulator, "wide").start_id(OTHER)
    limited = (403, {"error": f"This API token is limited to notebook {NB}"})

    assert _answers(client, OTHER, other_run) == [limited] * 3
    assert _answers(client, "o/no-such-notebook")[0] == limited, "whether or not the notebook exists"
    assert client.status("no-such-run").status_code == 404
    own_run = client.start_id(NB)
    assert client.status(own_run).json()["success"] is True
    assert client.interactive(NB).status_code == 200
    assert emulator.interactive_runs == [NB]
    assert list(emulator.runs) == [other_run, own_run]


def test_without_single_notebook_another_notebook_is_404(serve_json, client_for):
    _, client = serve_json([{"id": NB}, {"id": OTHER}], {NB: "editor"})

    response = client.start(OTHER)

    assert (response.status_code, response.json()) == (
        404,
        {"error": f"Notebook {OTHER} is not shared with you or does not exist"},
    )


def test_add_token_with_the_2026_settings(datalore_emulator, client_for):
    nb = "demo/sales-report"
    datalore_emulator.add_token("old", {nb: "editor"}, expires_at=time.time() - 1)
    datalore_emulator.add_token("other-api", {nb: "editor"}, scope="other")
    datalore_emulator.add_token("one", {"demo/read-only": "viewer"}, single_notebook=True)
    datalore_emulator.add_token("plain", {nb: "editor"})

    assert client_for(datalore_emulator, "old").start(nb).json() == EXPIRED
    assert client_for(datalore_emulator, "other-api").start(nb).json() == OUT_OF_SCOPE
    assert client_for(datalore_emulator, "one").start(nb).json() == {
        "error": "This API token is limited to notebook demo/read-only"
    }
    assert client_for(datalore_emulator, "plain").start(nb).status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"expires_at": "tomorrow"},
            "token 'expires_at' must be a number (unix seconds) or null, got 'tomorrow'",
        ),
        ({"expires_at": True}, "token 'expires_at' must be a number (unix seconds) or null, got True"),
        (
            {"scope": "admin"},
            "token 'scope' must be one of 'full', 'notebook_api', 'run_api', 'other', got 'admin'",
        ),
        ({"single_notebook": 1}, "token 'single_notebook' must be a boolean, got 1"),
    ],
)
def test_add_token_rejects_bad_settings(datalore_emulator, kwargs, message):
    with pytest.raises(ValueError) as raised:
        datalore_emulator.add_token("t", {"demo/sales-report": "editor"}, **kwargs)

    assert str(raised.value) == message


def test_add_token_single_notebook_needs_one_notebook(datalore_emulator):
    with pytest.raises(ValueError, match=r"'single_notebook' needs exactly one notebook .* got \['\*'\]"):
        datalore_emulator.add_token("t", {"*": "editor"}, single_notebook=True)
    with pytest.raises(ValueError, match="'single_notebook' needs exactly one notebook"):
        datalore_emulator.add_token(
            "t", {"demo/sales-report": "editor", "demo/read-only": "viewer"}, single_notebook=True
        )
