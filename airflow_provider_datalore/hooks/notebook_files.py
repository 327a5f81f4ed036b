"""
The Notebook API's files (Datalore 2026.2+), as methods of ``DataloreHook``: list, check, download, upload.

Listing and checking are reads, retried on transient failures; a download is a read too, streamed to its
destination and retried from the start; an upload is sent again only when nothing can have reached
Datalore (the connection was never made, or HTTP 429). Every error names the notebook, the endpoint and
the path.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.checks import check_seconds
from airflow_provider_datalore.clipping import show
from airflow_provider_datalore.hooks.base import DataloreBaseHook
from airflow_provider_datalore.notebook_api import files
from airflow_provider_datalore.notebook_api.endpoints import (
    FILE,
    FILE_EXISTS,
    FILE_UPLOAD,
    FILES,
    notebook_call,
)
from airflow_provider_datalore.notebook_api.files import DEFAULT_DIRECTORY, NotebookFile, check_notebook_path
from airflow_provider_datalore.notebook_api.notebook import NotebookRef

if TYPE_CHECKING:
    from airflow_provider_datalore.transport.streams import Downloaded

#: Seconds one attempt of a download or an upload may take in all, by default. A silent connection
#: fails sooner: after the connection's timeout.
TRANSFER_TIMEOUT = 3600.0
#: Entries a glob may walk over all the folders it lists: a bound on what a server can make it read.
MAX_GLOB_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """
    A file uploaded to a notebook.

    :param path: Its notebook path, ``<directory>/<name>`` (the name Datalore stored it under).
    :param size: Bytes sent.
    :param sha256: Their SHA-256, in hex.
    """

    path: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as the upload operator pushes it to XCom."""
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


class NotebookFilesMixin(DataloreBaseHook):
    """The Notebook API's file methods; :class:`~airflow_provider_datalore.hooks.datalore.DataloreHook` has them."""

    def list_files(
        self, notebook_id: str, directory: str = DEFAULT_DIRECTORY, *, timeout: float | None = None
    ) -> list[NotebookFile]:
        """
        Return the entries of one notebook directory (not recursive).

        :param notebook_id: ``"owner/notebook"`` or the notebook's URL.
        :param directory: A notebook path, e.g. ``data/notebook_files``.
        :param timeout: Seconds each attempt may take, instead of the connection's timeout.
        """
        notebook, directory = (
            NotebookRef.parse(notebook_id, self.base_url),
            check_notebook_path(directory, "directory"),
        )
        call = notebook_call(FILES, self.base_url, notebook, f"list {directory} of")
        body = {"notebookId": notebook.to_json(), "directory": directory}
        return self._transport.request(call, body, files.listing_parser(directory), timeout=timeout)

    def file_exists(self, notebook_id: str, path: str, *, timeout: float | None = None) -> bool:
        """
        Return whether a notebook file exists.

        :param notebook_id: ``"owner/notebook"`` or the notebook's URL.
        :param path: A notebook path, e.g. ``data/notebook_files/out.csv``.
        :param timeout: Seconds each attempt may take, instead of the connection's timeout.
        """
        notebook, path = NotebookRef.parse(notebook_id, self.base_url), check_notebook_path(path)
        call = notebook_call(FILE_EXISTS, self.base_url, notebook, f"check whether {path} exists in")
        body = {"notebookId": notebook.to_json(), "filePath": path}
        return self._transport.request(call, body, files.exists_parser, timeout=timeout)

    def glob_files(
        self, notebook_id: str, pattern: str, *, timeout: float | None = None
    ) -> list[NotebookFile]:
        """
        Return the notebook files a glob matches, in path order (``*``, ``?``, ``[...]``, and ``**`` for any
        folders), listing only the folders the pattern can reach.

        :param notebook_id: ``"owner/notebook"`` or the notebook's URL.
        :param pattern: e.g. ``data/notebook_files/*.csv`` or ``data/notebook_files/**/report-*.html``.
        :raises ValueError: The pattern matches no file (the error names it and the folder listed).
        """
        pattern = check_notebook_path(pattern, "glob")
        root = files.glob_root(pattern)
        if not root:
            raise ValueError(f"glob {pattern!r} has a wildcard in its first segment; start it with a folder")
        found: list[NotebookFile] = []
        folders, walked = [root], 0
        depth = pattern.count("/") + 1 if "**" not in pattern else sys.maxsize
        while folders:
            folder = folders.pop()
            for entry in self.list_files(notebook_id, folder, timeout=timeout):
                walked += 1
                if walked > MAX_GLOB_ENTRIES:
                    raise ValueError(
                        f"glob {pattern!r} walks more than {MAX_GLOB_ENTRIES} entries below {root}: narrow it"
                    )
                if entry.is_folder:
                    if entry.path.count("/") + 1 < depth:
                        folders.append(entry.path)
                elif files.glob_matches(pattern, entry.path):
                    found.append(entry)
        if not found:
            raise ValueError(
                f"glob {pattern!r} matches no file in notebook folder {root} (listed, and below it)"
            )
        return sorted(found, key=lambda entry: entry.path)

    def download_file(
        self,
        notebook_id: str,
        path: str,
        destination: Any,
        *,
        max_bytes: int | None = None,
        timeout: float | None = None,
        destination_conn_id: str | None = None,
    ) -> Downloaded:
        """
        Stream a notebook file to ``destination``; return its size, SHA-256 and content type.

        The file is never held in memory. A destination path is written through a temporary file beside
        it, moved to its name once complete: a failure leaves nothing under that name.

        :param notebook_id: ``"owner/notebook"`` or the notebook's URL.
        :param path: A notebook path, e.g. ``data/notebook_files/out.csv``, or a run artifact's ``path``
            as the Run API gives it (served only by servers that serve artifacts through ``/file``).
        :param destination: The file to write: a local path, a URI (``s3://bucket/out.csv``), an
            ``ObjectStoragePath``, or a binary file object (written as is; retried only if it can seek).
        :param max_bytes: Bytes the file may have; a larger one fails without being written. None: no cap.
        :param timeout: Seconds each attempt may take in all (default :data:`TRANSFER_TIMEOUT`); the
            connection's timeout bounds each silence.
        :param destination_conn_id: The connection of the destination's store, for a URI.
        """
        from airflow_provider_datalore.storage import atomic_write, is_local, storage_path

        notebook, path = NotebookRef.parse(notebook_id, self.base_url), files.check_file_path(path)
        cap = sys.maxsize if max_bytes is None else _check_max_bytes(max_bytes)
        seconds = TRANSFER_TIMEOUT if timeout is None else check_seconds("timeout", timeout)
        call = notebook_call(FILE, self.base_url, notebook, f"download {path} from")
        body = {"notebookId": notebook.to_json(), "filePath": path}
        started = time.monotonic()
        if callable(getattr(destination, "write", None)):
            done = self._transport.download(call, body, destination, max_bytes=cap, timeout=seconds)
        else:
            target = storage_path(destination, destination_conn_id, what="destination")
            with atomic_write(target) as sink:  # a local one is a file of ours: its size is reserved first
                done = self._transport.download(
                    call, body, sink, max_bytes=cap, timeout=seconds, reserve=is_local(target)
                )
        self.log.info(
            "Downloaded %s of Datalore notebook %s: %d bytes in %.1f s, sha256 %s.",
            path,
            notebook.notebook_id,
            done.size,
            time.monotonic() - started,
            done.sha256,
        )
        return done

    def upload_file(
        self,
        notebook_id: str,
        source: Any,
        directory: str = DEFAULT_DIRECTORY,
        *,
        name: str | None = None,
        timeout: float | None = None,
        source_conn_id: str | None = None,
    ) -> UploadedFile:
        """
        Upload one file into a notebook directory, streamed from its source (never read whole).

        :param notebook_id: ``"owner/notebook"`` or the notebook's URL.
        :param source: A local path, a URI (``s3://bucket/in.csv``), an ``ObjectStoragePath``, or a binary
            file object (then ``name`` is needed).
        :param directory: The notebook directory, e.g. ``data/notebook_files``.
        :param name: The file's name in the notebook; default: the source's.
        :param timeout: Seconds the upload may take in all (default :data:`TRANSFER_TIMEOUT`).
        :param source_conn_id: The connection of the source's store, for a URI.
        """
        from airflow_provider_datalore.storage import DigestingReader, storage_path

        notebook, directory = (
            NotebookRef.parse(notebook_id, self.base_url),
            check_notebook_path(directory, "directory"),
        )
        seconds = TRANSFER_TIMEOUT if timeout is None else check_seconds("timeout", timeout)
        if callable(getattr(source, "read", None)):
            if name is None:
                raise ValueError("upload_file needs name= for a file object source")
            return self._upload(notebook, DigestingReader(source), directory, _file_name(name), seconds)
        path = storage_path(source, source_conn_id, what="source")
        file_name = _file_name(path.name if name is None else name)
        with path.open("rb") as fileobj:
            return self._upload(notebook, DigestingReader(fileobj), directory, file_name, seconds)

    def _upload(
        self, notebook: NotebookRef, reader: Any, directory: str, name: str, timeout: float
    ) -> UploadedFile:
        query = (*notebook.to_query(), ("directory", directory))
        call = notebook_call(
            FILE_UPLOAD, self.base_url, notebook, f"upload {name} to {directory} of", query=query
        )
        started = time.monotonic()
        reply = self._transport.upload(call, reader, name, timeout=timeout)
        stored = f"{directory}/{files.uploaded_name(reply, name)}"
        self.log.info(
            "Uploaded %s to Datalore notebook %s: %d bytes in %.1f s, sha256 %s.",
            stored,
            notebook.notebook_id,
            reader.size,
            time.monotonic() - started,
            reader.sha256,
        )
        return UploadedFile(stored, reader.size, reader.sha256)


def _file_name(name: object) -> str:
    """Return a file name for the notebook: one plain segment; ``ValueError`` naming it otherwise."""
    if not isinstance(name, str) or "/" in name or not name.strip():
        raise ValueError(f"file name {show(name)} is not valid; expected one file name, without '/'")
    return check_notebook_path(name, "file name")


def _check_max_bytes(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_bytes {show(value)} is not valid; expected a number of bytes >= 1, or None")
    return value
