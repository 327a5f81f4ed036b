"""
Files on Airflow's side of a transfer: any ``ObjectStoragePath`` (local, ``s3://``, ``gs://``...) and
writes that appear complete under their final name or not at all.

fsspec and the object-store libraries are imported when a task uses them, never when a DAG is parsed.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, BinaryIO

from airflow_provider_datalore.clipping import show

if TYPE_CHECKING:
    from collections.abc import Iterator

    from airflow.providers.common.compat.sdk import ObjectStoragePath

#: The protocols of the local file system (a plain path has none).
LOCAL_PROTOCOLS = ("", "file", "local")


def storage_path(location: object, conn_id: str | None = None, *, what: str = "path") -> ObjectStoragePath:
    """
    Return an ``ObjectStoragePath`` for a local path, a URI or an ``ObjectStoragePath``.

    :param location: e.g. ``/data/in.csv``, ``file:///data/in.csv``, ``s3://bucket/in.csv``.
    :param conn_id: The Airflow connection of the store (``aws_default``...), if it needs one.
    :param what: The argument's name in the error.
    """
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    if isinstance(location, ObjectStoragePath):
        return location
    if isinstance(location, os.PathLike):
        location = os.fspath(location)
    if not isinstance(location, str) or not location.strip() or "\x00" in location:
        raise ValueError(
            f"{what} {show(location)} is not valid; expected a local path or a URI such as "
            "'s3://bucket/folder/' or 'file:///data/'"
        )
    return ObjectStoragePath(location.strip(), conn_id=conn_id)


def public_uri(path: ObjectStoragePath) -> str:
    """
    Return the path's URI as a user names the object: ``s3://bucket/key``, a local path as given.

    Airflow's ``str()`` of a path with a connection puts the connection id where a URI's user goes
    (``s3://aws_lake@bucket/key``); XCom, asset events and lineage get the object's own URI.
    """
    text = str(path)
    conn_id = getattr(path, "conn_id", None)
    prefix = f"{path.protocol}://{conn_id}@"
    if conn_id and text.startswith(prefix):
        return f"{path.protocol}://{text[len(prefix) :]}"
    return text


def is_local(path: ObjectStoragePath) -> bool:
    """Whether a path is on the local file system."""
    return path.protocol in LOCAL_PROTOCOLS


#: Object stores whose files honour fsspec's ``autocommit=False``: closing such a file uploads its parts
#: but creates no object; ``commit()`` completes it at once, ``discard()`` aborts it (s3fs: a multipart
#: upload, completed or aborted; tests/s3 shows both). Other stores write a temporary object and move it.
UNCOMMITTED_WRITE_PROTOCOLS = ("s3", "s3a")


@contextmanager
def atomic_write(target: ObjectStoragePath) -> Iterator[BinaryIO]:
    """
    Open ``target`` for a write that appears complete under its name once the block succeeds, or not at all.

    - Local: a temporary file beside ``target`` (``.<name>.<random>.part``), renamed into place.
    - S3: the object itself, opened with ``autocommit=False``: committed after the block, discarded on
      any failure, so no partial object and no temporary key (a killed process leaves an incomplete
      multipart upload, which S3 never shows as an object; a bucket lifecycle rule removes it).
    - Any other store: a temporary object beside ``target``, moved into place (a copy of a complete
      object); a killed process can leave the ``.part`` object behind, never ``<name>``.

    On failure ``target`` is as it was.
    """
    if target.protocol in UNCOMMITTED_WRITE_PROTOCOLS:
        with _uncommitted_write(target) as sink:
            yield sink
        return
    temp = target.parent / f".{target.name}.{uuid.uuid4().hex[:12]}.part"
    if is_local(target):
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with temp.open("wb") as sink:
            yield sink
        temp.rename(target)
    except BaseException:
        with suppress(Exception):
            if temp.exists():
                temp.unlink()
        raise


@contextmanager
def _uncommitted_write(target: ObjectStoragePath) -> Iterator[BinaryIO]:
    sink = UncommittedObject(target)
    try:
        yield sink  # type: ignore[misc]
        sink.commit()
    except BaseException:
        with suppress(Exception):
            sink.discard()
        raise


class UncommittedObject:
    """
    An object-store write with ``autocommit=False`` that can start over: a download that fails part-way
    and is retried rewinds its sink (``seek(0)``, ``truncate()``), which here aborts the upload so far
    and begins a new one.

    :param target: The object to write; nothing appears under its name before :meth:`commit`.
    """

    def __init__(self, target: ObjectStoragePath) -> None:
        self._target = target
        self._file = target.open("wb", autocommit=False)

    def write(self, data: bytes) -> int:
        return int(self._file.write(data))

    def tell(self) -> int:
        return int(self._file.tell())

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        """Go back to the start (the only place a write can go back to): the upload begins again."""
        if (offset, whence) != (0, 0):
            raise OSError(f"an object being written can only go back to its start, not to {offset}, {whence}")
        if self._file.tell():
            self.discard()
            self._file = self._target.open("wb", autocommit=False)
        return 0

    def truncate(self, size: int | None = None) -> int:
        """Empty the object (already empty after ``seek(0)``)."""
        if size not in (None, 0) or self._file.tell():
            raise OSError("an object being written can only be emptied after seek(0)")
        return 0

    def commit(self) -> None:
        """Make the object appear whole under its name."""
        self._file.close()
        self._file.commit()

    def discard(self) -> None:
        """Drop what was written; nothing appears under the name."""
        with suppress(Exception):
            self._file.close()  # before discard, which drops the buffer that close still needs
        self._file.discard()


def within(folder: ObjectStoragePath, relative: str) -> ObjectStoragePath:
    """
    Return ``folder / relative`` for a relative path already checked segment by segment (no ``..``).

    :raises ValueError: The joined path is not below ``folder`` (a last guard; a checked path never is).
    """
    target = folder.joinpath(*relative.split("/"))
    base = str(folder).rstrip("/") + "/"
    if not str(target).startswith(base):
        raise ValueError(f"{show(relative)} would land outside the destination {show(str(folder))}")
    return target


class DigestingReader:
    """
    A binary file read through, counting its bytes and their SHA-256 since the last ``seek``.

    An upload's transport seeks back to the start before a retry: the digest is then of what the last
    attempt sent, which is the file.
    """

    def __init__(self, fileobj: BinaryIO) -> None:
        self._file = fileobj
        self.size = 0
        self._digest = hashlib.sha256()

    @property
    def sha256(self) -> str:
        """The hex digest of the bytes read since the last seek."""
        return self._digest.hexdigest()

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self.size += len(data)
        self._digest.update(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        self.size = 0
        self._digest = hashlib.sha256()
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def seekable(self) -> bool:
        check = getattr(self._file, "seekable", None)
        return bool(check()) if callable(check) else callable(getattr(self._file, "seek", None))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)
