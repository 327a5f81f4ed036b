"""The aiohttp application: the endpoint table's routes, their journal and faults, and the control plane."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from airflow_provider_datalore.emulator.config import parse_faults
from airflow_provider_datalore.emulator.downloads import AnyReply, respond
from airflow_provider_datalore.emulator.endpoints import API_ENDPOINTS, Endpoint
from airflow_provider_datalore.emulator.errors import ApiError
from airflow_provider_datalore.emulator.faults import apply_fault
from airflow_provider_datalore.emulator.handlers import Incoming, Outcome, require_json
from airflow_provider_datalore.emulator.replies import Reply, not_found_reply
from airflow_provider_datalore.emulator.state import EmulatorState, JournalEntry, JournalSlot
from airflow_provider_datalore.notebook_api import PREFIX as NOTEBOOK_API_PREFIX

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

CONTROL_PREFIX = "/_emulator"
STATE_KEY: web.AppKey[EmulatorState] = web.AppKey("state", EmulatorState)
PREFIX_KEY: web.AppKey[str] = web.AppKey("prefix", str)


def create_app(state: EmulatorState, prefix: str = "") -> web.Application:
    """Build the aiohttp app serving the API endpoints under ``prefix`` and the control plane at the root."""
    app = web.Application(client_max_size=1024 * 1024)
    app[STATE_KEY] = state
    app[PREFIX_KEY] = prefix
    for endpoint in API_ENDPOINTS:
        # add_route, not add_get: a GET endpoint does not answer HEAD (that is the catch-all's 404).
        app.router.add_route(endpoint.method, f"{prefix}{endpoint.path}", _serving(endpoint))
    app.router.add_get(f"{CONTROL_PREFIX}/journal", _control_journal)
    app.router.add_get(f"{CONTROL_PREFIX}/runs", _control_runs)
    app.router.add_get(f"{CONTROL_PREFIX}/interactive", _control_interactive)
    app.router.add_get(f"{CONTROL_PREFIX}/notebooks/{{owner}}/{{notebook}}", _control_notebook)
    app.router.add_get(f"{CONTROL_PREFIX}/faults", _control_pending_faults)
    app.router.add_post(f"{CONTROL_PREFIX}/faults", _control_add_faults)
    app.router.add_post(f"{CONTROL_PREFIX}/reset", _control_reset)
    app.router.add_route("*", "/{tail:.*}", _not_found)
    return app


async def _handle(endpoint: Endpoint, state: EmulatorState, incoming: Incoming, slot: JournalSlot) -> Outcome:
    """Authenticate, parse the body, then run the handler, turning API errors into their JSON answers."""
    try:
        if incoming.auth_error is not None:
            raise incoming.auth_error
        request = None
        if endpoint.parse is not None and endpoint.body == "multipart":
            request = endpoint.parse(incoming.query_params, state.server_version)
        elif endpoint.parse is not None:
            require_json(incoming)
            request = endpoint.parse(incoming.body, state.server_version)
        result = endpoint.handler(state, incoming, request)
        outcome = await result if inspect.isawaitable(result) else result
    except ApiError as exc:
        return Outcome(Reply.json(exc.status, exc.to_body()))
    if outcome.run_id is not None:
        state.update_entry(slot, run_id=outcome.run_id)
    if outcome.journal_body is not None:
        state.update_entry(slot, body=outcome.journal_body)
    return outcome


def _serving(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Return the aiohttp handler of an endpoint: it applies the endpoint's faults and writes the journal."""

    async def serve(request: web.Request) -> web.StreamResponse:
        state = request.app[STATE_KEY]
        incoming = await _read(request, state, endpoint)
        if endpoint.api == "notebook" and not state.notebook_api:
            return _no_notebook_api(state, incoming)
        fault = state.take_fault(endpoint.name)
        # Journaled on arrival, so that a request held by a "delay" fault is visible while it waits.
        slot = state.record(_entry(incoming, fault.label if fault is not None else None))

        async def operate() -> AnyReply:
            outcome = await _handle(endpoint, state, incoming, slot)
            if outcome.wait > 0:
                await asyncio.sleep(outcome.wait)
            return outcome.reply

        if fault is not None:
            response, status = await apply_fault(request, fault, endpoint, operate)
        else:
            reply = await operate()
            # Journaled before a streamed file goes out: a client that read it all finds its status.
            state.update_entry(slot, status=reply.status)
            return await respond(request, reply)
        state.update_entry(slot, status=status)
        return response

    return serve


async def _read(request: web.Request, state: EmulatorState, endpoint: Endpoint | None = None) -> Incoming:
    """Read what the journal and the handlers need; a multipart body is left for the handler to stream."""
    streamed = endpoint is not None and endpoint.body == "multipart"
    raw = "" if streamed else (await request.read()).decode("utf-8", errors="replace")
    body: Any = None
    body_is_json = False
    if raw:
        try:
            body, body_is_json = json.loads(raw), True
        except (ValueError, RecursionError):  # RecursionError: JSON nested too deep to parse
            body = raw
    header = request.headers.get("Authorization")
    token = _bearer_token(header)
    auth_error = state.authenticate(token, endpoint.api if endpoint is not None else "run")
    return Incoming(
        method=request.method,
        path=request.path,
        query=request.query_string,
        body=body,
        body_is_json=body_is_json,
        auth_present=header is not None,
        token=token,
        auth_error=auth_error,
        # A token of another scope is valid, only not for this API.
        token_valid=auth_error is None or auth_error.status != 401,
        content_type=request.content_type,
        time=time.time(),
        client_port=_client_port(request),
        params=dict(request.match_info),
        query_params=dict(request.query),
        stream=request if streamed else None,
    )


def _client_port(request: web.Request) -> int | None:
    """The client's source port: on loopback it tells one TCP connection from another."""
    peer = request.transport.get_extra_info("peername") if request.transport is not None else None
    return peer[1] if isinstance(peer, tuple) and len(peer) >= 2 else None


def _bearer_token(header: str | None) -> str | None:
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        return None
    return value


def _entry(incoming: Incoming, fault: str | int | None, status: int | None = None) -> JournalEntry:
    return JournalEntry(
        method=incoming.method,
        path=incoming.path,
        query=incoming.query,
        body=incoming.body,
        auth_present=incoming.auth_present,
        token_valid=incoming.token_valid,
        status=status,
        fault=fault,
        time=incoming.time,
        client_port=incoming.client_port,
    )


def _no_notebook_api(state: EmulatorState, incoming: Incoming) -> web.StreamResponse:
    """Answer a Notebook API path as a server without it does (``notebook_api`` off): an HTML 404, no faults."""
    state.record(_entry(incoming, None, status=404))
    return not_found_reply("html", incoming.path).response()


async def _not_found(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    if request.path == CONTROL_PREFIX or request.path.startswith(f"{CONTROL_PREFIX}/"):
        return web.Response(status=404, text="Not Found")
    incoming = await _read(request, state)
    if not state.notebook_api and request.path.startswith(f"{request.app[PREFIX_KEY]}{NOTEBOOK_API_PREFIX}/"):
        return _no_notebook_api(state, incoming)
    state.record(_entry(incoming, None, status=404))
    return not_found_reply(state.unknown_path_reply, incoming.path).response()


# The control plane (no auth, not journaled)


async def _control_journal(request: web.Request) -> web.StreamResponse:
    return web.json_response([entry.to_dict() for entry in request.app[STATE_KEY].journal()])


async def _control_runs(request: web.Request) -> web.StreamResponse:
    runs = request.app[STATE_KEY].runs()
    return web.json_response({run_id: run.to_dict() for run_id, run in runs.items()})


async def _control_interactive(request: web.Request) -> web.StreamResponse:
    return web.json_response(request.app[STATE_KEY].interactive_runs())


async def _control_notebook(request: web.Request) -> web.StreamResponse:
    notebook_id = f"{request.match_info['owner']}/{request.match_info['notebook']}"
    try:
        snapshot = request.app[STATE_KEY].notebook_snapshot(notebook_id)
    except KeyError:
        return web.json_response({"error": f"no notebook {notebook_id}"}, status=404)
    return web.json_response(snapshot)


async def _control_pending_faults(request: web.Request) -> web.StreamResponse:
    return web.json_response([fault.to_dict() for fault in request.app[STATE_KEY].pending_faults()])


async def _control_add_faults(request: web.Request) -> web.StreamResponse:
    try:
        data = json.loads(await request.text())
        if isinstance(data, dict) and set(data) == {"faults"}:
            data = data["faults"]
        faults = parse_faults(data)
    except (ValueError, RecursionError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    request.app[STATE_KEY].add_faults(faults)
    return web.json_response({"queued": len(faults)})


async def _control_reset(request: web.Request) -> web.StreamResponse:
    request.app[STATE_KEY].clear_journal()
    return web.json_response({})
