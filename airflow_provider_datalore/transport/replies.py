"""An HTTP reply turned into the JSON it carries, or into a failed attempt that says why."""

from __future__ import annotations

import json
import zlib
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_provider_datalore.clipping import clip
from airflow_provider_datalore.exceptions import DataloreResponseError
from airflow_provider_datalore.transport.calls import AttemptFailed, Call, ReplyKind
from airflow_provider_datalore.transport.retry import Failure, parse_retry_after

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

T = TypeVar("T")

#: Bytes of a reply read at most, before and after decompression. The Run API's replies are a few KB;
#: more is a broken server or proxy, and is treated as a malformed reply.
MAX_REPLY_BYTES = 4 * 1024 * 1024

#: Characters of a server's error text that an error message quotes.
SERVER_TEXT_LIMIT = 500
#: The keys of a Datalore API error reply (``{"error": "..."}``; JetBrains' own client also reads
#: ``message``), as opposed to a web framework's generic error.
DATALORE_ERROR_KEYS = frozenset({"error", "message", "code", "state"})
#: Bytes and characters of a body that is not JSON that an error message quotes.
TEXT_BYTES = 2048
TEXT_CHARS = 200


def read_reply(call: Call, status: int, body: bytes, headers: Mapping[str, str], *, secret: str) -> Any:
    """
    Return the JSON of a 2xx reply; raise ``AttemptFailed`` for any other status or an unreadable body.

    The body is decoded here, the same way for both clients: JSON from its bytes (UTF-8, with or without
    a byte order mark), an error page as UTF-8 with anything else replaced.

    :param secret: The API token: a server or proxy that quotes it back gets ``***`` in its place, so the
        token reaches no message, log or XCom through a reply.
    The endpoint's reply kind says what a 2xx carries: JSON, or nothing to read (None is returned).
    """
    if secret and (token := secret.encode()) in body:
        body = body.replace(token, b"***")
    if 200 <= status < 300:
        if call.endpoint.reply is not ReplyKind.JSON:
            return None
        if not body.strip():
            return {}
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            raise AttemptFailed(call, failure=Failure.BAD_BODY, detail=f"not JSON: {_text(body)}") from None
    detail, from_datalore, state = _error_text(body)
    raise AttemptFailed(
        call,
        status=status,
        detail=detail,
        server_message=detail if from_datalore else None,
        server_state=state if from_datalore else None,
        retry_after=parse_retry_after(headers.get("Retry-After")),
        location=clip(headers["Location"].replace(secret, "***")) if headers.get("Location") else None,
    )


class ReplyTooLarge(Exception):
    """A reply is larger than :data:`MAX_REPLY_BYTES` (compressed or inflated), or compressed unreadably."""


def reply_limit(call: Call) -> int:
    """Return the bytes a whole reply to ``call`` may have: its endpoint's bound, or :data:`MAX_REPLY_BYTES`."""
    return call.endpoint.max_reply_bytes or MAX_REPLY_BYTES


def decoded_body(body: bytes, content_encoding: str | None, limit: int = MAX_REPLY_BYTES) -> bytes:
    """
    Return the body inflated (gzip or deflate), never to more than ``limit`` bytes.

    The clients ask for no compression and do not inflate anything themselves; a server that compresses
    anyway is read here, within the bound, so a small "zip bomb" cannot take gigabytes of memory.
    """
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise ReplyTooLarge(f"a reply in Content-Encoding {clip(encoding, 40)!r}, which was not asked for")
    # gzip: a gzip header; deflate: a zlib header (or, from some servers, none at all).
    wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
    if encoding == "deflate" and body[:1] != b"\x78":
        wbits = -zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    try:
        inflated = inflater.decompress(body, limit + 1)
    except zlib.error:
        raise ReplyTooLarge(f"a {encoding} reply that does not inflate") from None
    if len(inflated) > limit:
        raise ReplyTooLarge(f"a {encoding} reply that inflates to more than {limit} bytes")
    return inflated


def parse_reply(call: Call, payload: Any, parse: Callable[[Any], T] | None) -> Any:
    """Return ``parse(payload)``; an unreadable payload fails the attempt as a malformed reply."""
    if parse is None:
        return payload
    try:
        return parse(payload)
    except DataloreResponseError as err:
        raise AttemptFailed(call, failure=Failure.BAD_BODY, detail=str(err)) from None


def _error_text(body: bytes) -> tuple[str, bool, str | None]:
    """
    Return the words of an error reply, whether it has the shape of a Datalore API error, and its ``state``.

    Datalore's APIs answer errors as ``{"error": "message"}``. A framework's generic JSON error (Spring's
    ``{"timestamp": ..., "status": 404, "error": "Not Found", "path": ...}``) or an HTML page means the
    request did not reach a Datalore API: a wrong URL or path prefix. The Notebook API's 409 adds the
    kernel's ``state``.
    """
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return _text(body), False, None
    if isinstance(payload, dict):
        for key in ("error", "message", "detail"):
            if isinstance(payload.get(key), str):
                from_datalore = key == "error" and set(payload) <= DATALORE_ERROR_KEYS
                state = payload.get("state")
                return (
                    clip(payload[key], SERVER_TEXT_LIMIT),
                    from_datalore,
                    clip(state, 40) if isinstance(state, str) else None,
                )
    return _text(body), False, None


def _text(body: bytes) -> str:
    """Return the start of a body as one line of text, escaped and clipped."""
    head = " ".join(body[:TEXT_BYTES].decode("utf-8", errors="replace").split())
    if len(head) <= TEXT_CHARS and len(body) <= TEXT_BYTES:
        return clip(head)
    return f"{clip(head[:TEXT_CHARS])}... ({len(body)} bytes)"
