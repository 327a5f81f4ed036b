"""
A notebook's files as the Notebook API names them: paths checked before they are sent, listings read.

Paths are relative to the notebook's root, as the API takes them: ``data/notebook_files/out.csv`` (the
code cells' working directory is ``data/notebook_files``). The reference does not say how a server treats
``..`` or a leading ``/``; this client sends neither. Names in a listing come from the server and are
untrusted: one that is not a plain file name (``..``, a ``/``, a NUL) fails the listing, so it can never
become a path outside a download's destination.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from airflow_provider_datalore.clipping import clip, show
from airflow_provider_datalore.exceptions import DataloreResponseError
from airflow_provider_datalore.notebook_api import DEFAULT_DIRECTORY as DEFAULT_DIRECTORY

#: Characters of a notebook path at most.
MAX_PATH_CHARS = 1024
#: Characters that make a path a glob.
GLOB_CHARS = frozenset("*?[")
#: Entries a listing reply may have; more is a broken server.
MAX_LISTING_ENTRIES = 100_000
#: The entry types a listing documents; FOLDER entries are walked by a ``**`` glob.
FOLDER = "FOLDER"


def check_notebook_path(path: object, what: str = "path") -> str:
    """
    Return a notebook path without ``.`` segments or a trailing ``/``; ``ValueError`` for anything else.

    :param path: e.g. ``data/notebook_files/out.csv``.
    :param what: The argument's name in the error, e.g. ``directory``.
    """
    expected = (
        "expected a path relative to the notebook's root, such as 'data/notebook_files/out.csv' (no '..', "
        f"no leading '/', at most {MAX_PATH_CHARS} characters)"
    )
    if not isinstance(path, str) or not path.strip():
        raise ValueError(f"notebook {what} {show(path)} is not valid; {expected}")
    segments = [segment for segment in path.split("/") if segment not in ("", ".")]
    if (
        path.startswith("/")
        or ".." in segments
        or not segments
        or len(path) > MAX_PATH_CHARS
        or not path.isprintable()
        or "\\" in path
    ):
        raise ValueError(f"notebook {what} {show(path)} is not valid; {expected}")
    return "/".join(segments)


#: How the Run API names a run's artifact: ``/notebook/<owner>/<notebook>/artifacts/<run>/<name...>``.
ARTIFACT_PREFIX = "/notebook/"
#: What an artifact path that ``/file`` does not serve means (the reference does not say it does).
ARTIFACTS_NOT_SERVED = (
    "this Datalore server does not serve the Run API's artifacts through the Notebook API's /file (the "
    "docs do not say it does): have the notebook write its outputs under data/notebook_files, or run it "
    "with direct_file_storage_write=True, and download those paths"
)


def check_file_path(path: object) -> str:
    """
    Return a path ``/file`` is asked for: a notebook path (:func:`check_notebook_path`), or a run's
    artifact path as the Run API gives it (``/notebook/<owner>/<notebook>/artifacts/<run>/<name>``).
    """
    if isinstance(path, str) and path.startswith(ARTIFACT_PREFIX):
        segments = path[len(ARTIFACT_PREFIX) :].split("/")
        if (
            len(segments) >= 5
            and segments[2] == "artifacts"
            and all(segment not in ("", ".", "..") for segment in segments)
            and len(path) <= MAX_PATH_CHARS
            and path.isprintable()
            and "\\" not in path
        ):
            return path
        raise ValueError(
            f"artifact path {show(path)} is not valid; expected the 'path' of one of the run's artifacts, "
            "such as '/notebook/owner/notebook/artifacts/<run id>/<name>'"
        )
    return check_notebook_path(path)


def is_artifact_path(path: str) -> bool:
    """Whether a checked file path names a run's artifact rather than a notebook file."""
    return path.startswith(ARTIFACT_PREFIX)


def is_glob(path: str) -> bool:
    """Whether a notebook path is a pattern (``*``, ``?``, ``[``) rather than one file's path."""
    return any(ch in GLOB_CHARS for ch in path)


def glob_root(pattern: str) -> str:
    """Return the directory a checked glob lists first: its segments before the first with a wildcard."""
    fixed: list[str] = []
    for segment in pattern.split("/"):
        if is_glob(segment):
            break
        fixed.append(segment)
    return "/".join(fixed)


def glob_matches(pattern: str, path: str) -> bool:
    """
    Whether a file's notebook path matches a glob: ``*``, ``?`` and ``[...]`` within one segment, ``**``
    for any number of folders (none included).
    """
    return _match(pattern.split("/"), path.split("/"))


def _match(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match(rest, parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], head) and _match(rest, parts[1:])


@dataclass(frozen=True, slots=True)
class NotebookFile:
    """
    One entry of a notebook directory, as ``/files`` lists it.

    :param path: Its notebook path, e.g. ``data/notebook_files/out.csv``.
    :param type: ``FILE`` or ``FOLDER`` (as the server sent it).
    :param size: Bytes (``fileSize``); None when the server sent none.
    :param last_modified: Milliseconds since the epoch (``lastModified``); None when the server sent none.
    """

    path: str
    type: str
    size: int | None = None
    last_modified: int | None = None

    @property
    def name(self) -> str:
        """The last segment of the path."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def is_folder(self) -> bool:
        """Whether the entry is a folder."""
        return self.type == FOLDER

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as JSON-safe values (for XCom)."""
        return {"path": self.path, "type": self.type, "size": self.size, "last_modified": self.last_modified}


def listing_parser(directory: str) -> Any:
    """Return the parser of a ``/files`` reply for ``directory`` (a checked notebook path)."""

    def parse(payload: Any) -> list[NotebookFile]:
        return read_listing(directory, payload)

    return parse


def read_listing(directory: str, payload: Any) -> list[NotebookFile]:
    """
    Read a ``/files`` reply into entries whose paths are ``directory/<name>``.

    :raises DataloreResponseError: The reply has no ``files`` list, too many entries, or an entry whose
        name is not one plain file name (the whole listing is refused: nothing is downloaded from it).
    """
    entries = payload.get("files") if isinstance(payload, dict) else None
    if not isinstance(entries, list) or len(entries) > MAX_LISTING_ENTRIES:
        raise DataloreResponseError(
            f"a listing of {directory} without a 'files' list of at most {MAX_LISTING_ENTRIES} entries"
        )
    files = []
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(name, str) or not _plain_name(name):
            raise DataloreResponseError(
                f"a listing of {directory} names an entry {show(name, 80)}, which is not a plain file name "
                "(a '/', '..', a control character or empty): the listing is refused, nothing is read from it"
            )
        kind = entry.get("type")
        files.append(
            NotebookFile(
                path=f"{directory}/{name}",
                type=clip(kind, 20) if isinstance(kind, str) else "FILE",
                size=_count(entry.get("fileSize")),
                last_modified=_count(entry.get("lastModified")),
            )
        )
    return files


def _plain_name(name: object) -> bool:
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and "/" not in name
        and "\\" not in name
        and len(name) <= 255
        and name.isprintable()
    )


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def exists_parser(payload: Any) -> bool:
    """Read a ``/file/exists`` reply; ``DataloreResponseError`` (retried) without a boolean ``exists``."""
    exists = payload.get("exists") if isinstance(payload, dict) else None
    if not isinstance(exists, bool):
        raise DataloreResponseError("a file exists reply without a boolean 'exists'")
    return exists


def uploaded_name(payload: Any, sent: str) -> str:
    """
    Return the name a ``/file/upload`` reply says the file was stored under (``fileName``).

    The server may rename a file (the reference does not say); a name that is not a plain file name, or
    no name, is read as the one sent.
    """
    name = payload.get("fileName") if isinstance(payload, dict) else None
    return name if isinstance(name, str) and _plain_name(name) else sent
