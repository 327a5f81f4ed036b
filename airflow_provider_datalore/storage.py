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


def is_local(path: ObjectStoragePath) -> bool:
    """Whether a path is on the local file system."""
    return path.protocol in LOCAL_PROTOCOLS


@contextmanager
def atomic_write(target: ObjectStoragePath) -> Iterator[BinaryIO]:
    """
    Open a temporary file beside ``target`` for writing; move it to ``target`` once the block succeeds.

    On any failure the temporary file is removed, and ``target`` is as it was: a reader sees the whole
    file under its final name or nothing (a local move is a rename; an object store's is a copy of a
    complete object). A process killed mid-write can leave ``.<name>.<random>.part`` behind, never
    ``<name>``.
    """
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
