"""
Receiving ``/file/upload``'s multipart body: the ``file`` field streamed to disk as it arrives, digested.

The body is never held whole (aiohttp's ``client_max_size`` does not apply to a multipart read): each
chunk is hashed and written to a new file in the store's directory, off the event loop. Other fields are
skipped; a body without a ``file`` field, or whose file name is not a plain name (``..``, a ``/``, a NUL,
empty), is 400, the partial file removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from airflow_provider_datalore.emulator.checks import show
from airflow_provider_datalore.emulator.errors import ApiError
from airflow_provider_datalore.emulator.file_tree import Upload
from airflow_provider_datalore.emulator.files import CHUNK_SIZE, is_file_name

if TYPE_CHECKING:
    from aiohttp import BodyPartReader, web

#: The multipart field that carries the file, as documented.
FILE_FIELD = "file"


async def receive_upload(request: web.Request, directory: Path) -> Upload:
    """
    Write the request's ``file`` field to a new file in ``directory`` and return what was received.

    :param request: the upload request, its body not yet read.
    :param directory: where the file is written (the store's own).
    """
    from aiohttp import BodyPartReader

    if request.content_type != "multipart/form-data":
        raise ApiError(415, "Content-Type must be multipart/form-data")
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError) as exc:  # aiohttp's words for a multipart body without a boundary
        raise ApiError(400, f"Malformed multipart body: {exc}") from exc
    while True:
        part = await reader.next()
        if part is None:
            raise ApiError(400, f"Missing multipart field '{FILE_FIELD}'")
        if isinstance(part, BodyPartReader) and part.name == FILE_FIELD:
            break
        await part.release()
    name = part.filename
    if not is_file_name(name):
        raise ApiError(400, f"Invalid path: {show(name)}")
    assert name is not None
    return await _write(part, name, directory)


async def _write(part: BodyPartReader, name: str, directory: Path) -> Upload:
    loop = asyncio.get_running_loop()
    descriptor, spooled = tempfile.mkstemp(dir=directory, prefix="upload-")
    path = Path(spooled)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(descriptor, "wb") as handle:
            while chunk := await part.read_chunk(CHUNK_SIZE):
                size += len(chunk)
                await loop.run_in_executor(None, _append, handle, digest, chunk)
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    return Upload(name=name, path=path, size=size, sha256=digest.hexdigest())


def _append(handle: BinaryIO, digest: hashlib._Hash, chunk: bytes) -> None:
    digest.update(chunk)
    handle.write(chunk)
