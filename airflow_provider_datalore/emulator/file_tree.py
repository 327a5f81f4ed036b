"""
The notebooks' file trees the Notebook API serves: listing, reading, storing uploads on disk, deleting.

Each configured notebook has a tree with ``data``, ``data/notebook_files`` and ``data/workspace_files``,
and its configured ``files`` (text or generated, held as the config gives them: a generated file is never
made whole). An upload is written to a temporary directory the store owns (removed with it), and served
from there. Folders are implied by the files below them, or made by an upload into a new directory.

Undocumented in Datalore, the emulator's choices: ``/file/exists`` is true for a folder too; ``/file`` of a
folder is 400 ``Not a file: <path>``; ``/file/delete`` of a folder deletes it and all below it; an upload
replaces a file of the same name. Thread-safe: one lock guards every tree.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.emulator.errors import ApiError
from airflow_provider_datalore.emulator.files import CHUNK_SIZE, DEFAULT_FOLDERS, FileContent, GeneratedFile

if TYPE_CHECKING:
    from collections.abc import Generator, Iterable, Mapping


@dataclass(frozen=True)
class StoredFile:
    """A file in a tree: text as bytes, a generated file, or an upload on disk; its size and mtime."""

    content: bytes | GeneratedFile | Path
    size: int
    #: Unix seconds.
    modified: float

    @classmethod
    def of(cls, content: FileContent, modified: float) -> StoredFile:
        """Return the stored form of a configured file's content."""
        if isinstance(content, GeneratedFile):
            return cls(content, content.size, modified)
        data = content.encode("utf-8")
        return cls(data, len(data), modified)

    def chunks(self) -> Generator[bytes]:
        """Return the file's bytes in chunks of at most 1 MiB (blocking reads, for an upload on disk)."""
        if isinstance(self.content, GeneratedFile):
            yield from self.content.chunks()
        elif isinstance(self.content, bytes):
            for start in range(0, len(self.content), CHUNK_SIZE):
                yield self.content[start : start + CHUNK_SIZE]
        else:
            with open(self.content, "rb") as handle:
                while chunk := handle.read(CHUNK_SIZE):
                    yield chunk


@dataclass(frozen=True)
class Upload:
    """A file received by ``/file/upload``, already on disk in the store's directory."""

    name: str
    path: Path
    size: int
    sha256: str


@dataclass
class _Tree:
    files: dict[str, StoredFile] = field(default_factory=dict)
    #: Folder path -> when it was made (unix seconds).
    folders: dict[str, float] = field(default_factory=dict)


class FileStore:
    """Hold every notebook's file tree, and the temporary directory uploads are written to."""

    def __init__(self, notebooks: Mapping[str, Mapping[str, FileContent]]) -> None:
        """
        Make a tree for each notebook, with its configured files.

        :param notebooks: notebook ID -> its ``files`` setting.
        """
        self._lock = threading.Lock()
        self._trees: dict[str, _Tree] = {}
        self._spool: Path | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        for notebook_id, contents in notebooks.items():
            self.reset(notebook_id, contents)

    def reset(self, notebook_id: str, contents: Mapping[str, FileContent]) -> None:
        """
        Give a notebook a fresh tree holding only the default folders and ``contents``.

        :param notebook_id: ``owner/notebook``.
        :param contents: path -> text or generated file.
        """
        now = time.time()
        tree = _Tree(folders=dict.fromkeys(DEFAULT_FOLDERS, now))
        with self._lock:
            old = self._trees.get(notebook_id)
            self._trees[notebook_id] = tree
            for path, content in contents.items():
                self._put(tree, path, StoredFile.of(content, now))
        if old is not None:
            _remove_uploads(old.files.values())

    def write(self, notebook_id: str, contents: Mapping[str, FileContent]) -> None:
        """
        Write files into a notebook's tree (a run's ``run_writes``), replacing those of the same path.

        :param notebook_id: ``owner/notebook``.
        :param contents: path -> text or generated file.
        """
        now = time.time()
        with self._lock:
            tree = self._trees.setdefault(notebook_id, _Tree(folders=dict.fromkeys(DEFAULT_FOLDERS, now)))
            replaced = [self._put(tree, path, StoredFile.of(c, now)) for path, c in contents.items()]
        _remove_uploads(replaced)

    def list(self, notebook_id: str, directory: str) -> list[dict[str, Any]]:
        """Return the entries of a directory's direct children; raise ApiError(404) if it is no folder."""
        with self._lock:
            tree = self._tree(notebook_id)
            if directory not in tree.folders:
                raise ApiError(404, f"Directory not found: {directory}")
            prefix = f"{directory}/"
            entries = [
                _entry(path[len(prefix) :], "FOLDER", 0, made)
                for path, made in tree.folders.items()
                if path.startswith(prefix) and "/" not in path[len(prefix) :]
            ]
            entries += [
                _entry(path[len(prefix) :], "FILE", stored.size, stored.modified)
                for path, stored in tree.files.items()
                if path.startswith(prefix) and "/" not in path[len(prefix) :]
            ]
        return sorted(entries, key=lambda entry: entry["name"])

    def get(self, notebook_id: str, path: str) -> StoredFile:
        """Return a file; raise ApiError(404) if there is none, ApiError(400) for a folder."""
        with self._lock:
            tree = self._tree(notebook_id)
            stored = tree.files.get(path)
            if stored is None and path in tree.folders:
                raise ApiError(400, f"Not a file: {path}")
        if stored is None:
            raise ApiError(404, f"File not found: {path}")
        return stored

    def exists(self, notebook_id: str, path: str) -> bool:
        """Return whether a notebook has a file or a folder at ``path``."""
        with self._lock:
            tree = self._tree(notebook_id)
            return path in tree.files or path in tree.folders

    def delete(self, notebook_id: str, path: str) -> None:
        """Delete a file, or a folder and all below it; raise ApiError(404) if there is neither."""
        with self._lock:
            tree = self._tree(notebook_id)
            if path in tree.files:
                removed = [tree.files.pop(path)]
            elif path in tree.folders:
                below = f"{path}/"
                for folder in [f for f in tree.folders if f == path or f.startswith(below)]:
                    del tree.folders[folder]
                removed = [tree.files.pop(f) for f in [f for f in tree.files if f.startswith(below)]]
            else:
                raise ApiError(404, f"File not found: {path}")
        _remove_uploads(removed)

    def spool_directory(self) -> Path:
        """Return the directory uploads are written to, made on first use and removed with the store."""
        with self._lock:
            if self._spool is None:
                self._spool = Path(tempfile.mkdtemp(prefix="datalore-emulator-files-"))
                self._finalizer = weakref.finalize(self, shutil.rmtree, self._spool, True)
            return self._spool

    def store_upload(self, notebook_id: str, directory: str, upload: Upload) -> str:
        """
        File an upload at ``<directory>/<name>``, making the directory; return that path.

        Raises ApiError(400) when the directory or the file's path is taken by a file or a folder.
        """
        path = f"{directory}/{upload.name}"
        now = time.time()
        with self._lock:
            tree = self._tree(notebook_id)
            clash = next((p for p in _ancestors(path) if p in tree.files), None)
            if clash is None and path in tree.folders:
                clash = path
            if clash is not None:
                raise ApiError(400, f"Cannot upload to {path}: {clash} exists")
            replaced = self._put(tree, path, StoredFile(upload.path, upload.size, now))
        _remove_uploads([replaced])
        return path

    def close(self) -> None:
        """Remove the uploads' directory (the trees then no longer serve uploaded files)."""
        if self._finalizer is not None:
            self._finalizer()

    def _tree(self, notebook_id: str) -> _Tree:
        return self._trees.setdefault(notebook_id, _Tree(folders=dict.fromkeys(DEFAULT_FOLDERS, time.time())))

    @staticmethod
    def _put(tree: _Tree, path: str, stored: StoredFile) -> StoredFile | None:
        """Put a file into a tree with its parent folders; return the file it replaced, if any."""
        for parent in _ancestors(path):
            tree.folders.setdefault(parent, stored.modified)
        old = tree.files.get(path)
        tree.files[path] = stored
        return old


def _ancestors(path: str) -> list[str]:
    """Return the folders above ``path``: ``a/b/c`` -> ``["a", "a/b"]``."""
    parts = path.split("/")[:-1]
    return ["/".join(parts[: index + 1]) for index in range(len(parts))]


def _entry(name: str, kind: str, size: int, modified: float) -> dict[str, Any]:
    return {"name": name, "type": kind, "fileSize": size, "lastModified": int(modified * 1000)}


def _remove_uploads(files: Iterable[StoredFile | None]) -> None:
    """Delete the disk copies of uploads no tree holds any more (a download already open keeps reading)."""
    for stored in files:
        if stored is not None and isinstance(stored.content, Path):
            with contextlib.suppress(OSError):
                os.unlink(stored.content)
