"""
What a streamed download and a streamed upload share, whichever client sends them.

The sink a download writes to, the count, digest and cap of its bytes (``Receiver``), its result
(``Downloaded``), the URL with the call's query, and the rule for a retry once bytes have moved: the sink
or the file is rewound (``seek(0)``, and a sink truncated), or the failure is final. No I/O with the
server happens here; :mod:`~airflow_provider_datalore.transport.sync` and
:mod:`~airflow_provider_datalore.transport.aio` do it.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

from airflow_provider_datalore.clipping import clip
from airflow_provider_datalore.exceptions import (
    DataloreApiUnavailableError,
    DataloreError,
    DataloreRequestError,
    DataloreResponseError,
)
from airflow_provider_datalore.transport.failures import describe

if TYPE_CHECKING:
    from airflow_provider_datalore.transport.calls import AttemptFailed, Call

#: Bytes read from the connection, and written to the sink, at a time at most (fewer, larger chunks:
#: Python's cost per chunk stays small beside the bytes' at 1 GB/s).
CHUNK_BYTES = 256 * 1024
#: The content type an uploaded file's part is sent with.
UPLOAD_CONTENT_TYPE = "application/octet-stream"
#: What a download over its cap tells the user to do.
TOO_LARGE_HINT = ": raise max_bytes if a file this large is expected"


class Sink(Protocol):
    """
    Where a download's bytes go: a binary file-like object (a temporary file, say).

    A sink that also has ``seek`` and ``truncate`` (a regular file) can be emptied again, so a download
    that failed part-way can be retried; one that has not (a pipe, a socket) is not retried once bytes
    have reached it.
    """

    def write(self, data: bytes, /) -> Any: ...


@dataclass(frozen=True, slots=True)
class Downloaded:
    """
    What a download wrote to its sink.

    :param size: Bytes written.
    :param sha256: Their SHA-256 digest, in hex.
    :param content_type: The reply's ``Content-Type``, if it had one.
    """

    size: int
    sha256: str
    content_type: str | None


class Receiver:
    """
    The bytes of one download on their way to the sink: counted, digested and capped at ``max_bytes``.

    :param call: The call, named in errors.
    :param sink: Where the bytes go.
    :param max_bytes: Bytes the download may have at most; beyond, it fails (and is not retried).
    :param reserve: Reserve the announced size on disk before the bytes come
        (:func:`~airflow_provider_datalore.transport.disk_space.reserve`): for a file the download
        writes itself, never a user's.
    """

    def __init__(self, call: Call, sink: Sink, max_bytes: int, *, reserve: bool = False) -> None:
        self.call = call
        self.sink = sink
        self.max_bytes = max_bytes
        self.reserve = reserve
        self.size = 0
        #: Bytes the sink has taken (``size`` counts those received; they differ while a thread writes).
        self.written = 0
        self.content_type: str | None = None
        self._digest = hashlib.sha256()

    def start(
        self, content_length: int | None, content_encoding: str | None, content_type: str | None
    ) -> None:
        """
        Check a 2xx reply's headers before its body is read.

        :raises DataloreResponseError: The reply announces more than ``max_bytes``, or is compressed.
        :raises DataloreApiUnavailableError: An HTML page came instead of the file, from an API that
            serves files as bytes (a proxy's or an older server's page, by the endpoint's ``absent_api``).
        :raises DataloreError: The sink's disk cannot hold the announced bytes (``reserve``).
        """
        endpoint = self.call.endpoint
        if endpoint.absent_api and (content_type or "").split(";")[0].strip().lower() == "text/html":
            raise DataloreApiUnavailableError(
                f"Could not {self.call.action} ({self.call.where}): an HTML page came instead of the file, "
                f"not the {endpoint.api}'s own answer, so {endpoint.absent_api}; nothing was written"
            )
        if content_length is not None and content_length > self.max_bytes:
            raise self._error(
                f"the reply announces {content_length} bytes (Content-Length), more than max_bytes="
                f"{self.max_bytes}; nothing was written to the sink",
                TOO_LARGE_HINT,
            )
        encoding = (content_encoding or "").strip().lower()
        if encoding not in ("", "identity"):
            raise self._error(
                f"the reply is in Content-Encoding {clip(encoding, 40)!r}, which was not asked for "
                "(Accept-Encoding: identity): a proxy between Airflow and Datalore may compress it"
            )
        self.content_type = clip(content_type, 200) if content_type else None
        if self.reserve and content_length:
            self._reserve(content_length)

    def _reserve(self, size: int) -> None:
        from airflow_provider_datalore.transport.disk_space import NoRoom, reserve

        try:
            reserve(self.sink, size)
        except NoRoom as err:
            raise DataloreError(
                f"Could not {self.call.action} ({self.call.where}): the destination has no room for the "
                f"{size} bytes the reply announces ({err.strerror}); nothing was written."
            ) from None

    def write(self, chunk: bytes) -> None:
        """
        Count, digest and write one chunk to the sink.

        :raises DataloreResponseError: The bytes so far pass ``max_bytes``.
        :raises DataloreError: The sink could not be written.
        """
        if self.size + len(chunk) > self.max_bytes:
            raise self._error(
                f"the reply is larger than max_bytes={self.max_bytes}: the download was stopped, and the "
                f"{self.size} bytes written to the sink are incomplete",
                TOO_LARGE_HINT,
            )
        self._deliver(chunk)
        self.size += len(chunk)

    def _deliver(self, chunk: bytes) -> None:
        """Write one chunk to the sink and digest it."""
        try:
            self.sink.write(chunk)
        except OSError as err:  # a full disk: not the server's fault, and not retried
            raise DataloreError(
                f"Could not {self.call.action} ({self.call.where}): writing to the sink failed after "
                f"{self.written} bytes ({describe(err)})."
            ) from None
        self.written += len(chunk)
        self._digest.update(chunk)

    def close(self) -> None:
        """Release what the receiver holds (nothing here; a thread in ``ThreadedReceiver``)."""

    def result(self) -> Downloaded:
        """Return what was written."""
        return Downloaded(size=self.size, sha256=self._digest.hexdigest(), content_type=self.content_type)

    def restart(self, failed: AttemptFailed) -> None:
        """
        Make the sink empty again before the next attempt.

        :raises DataloreRequestError: Bytes reached a sink that cannot be rewound: the failure is final.
        """
        if self.size:
            if not rewindable(self.sink, truncate=True):
                raise DataloreRequestError(
                    f"Could not {self.call.action} ({self.call.where}): {failed.reason}, after {self.size} "
                    "bytes had reached the sink, which cannot be rewound (it has no seek() and truncate()), "
                    "so it is not retried. Pass a regular file as the sink to allow retries.",
                    http_status=failed.status,
                    endpoint=self.call.where,
                )
            self.sink.seek(0)  # type: ignore[attr-defined]
            self.sink.truncate()  # type: ignore[attr-defined]
        self.size = 0
        self.written = 0
        self.content_type = None
        self._digest = hashlib.sha256()

    def _error(self, what: str, hint: str = "") -> DataloreResponseError:
        return DataloreResponseError(
            f"Could not {self.call.action} ({self.call.where}): {what}. It is not retried{hint}."
        )


class ThreadedReceiver(Receiver):
    """
    A receiver that digests and writes in a thread of its own, while the next chunk is read from the
    socket: SHA-256 and file writes release the GIL, so with a CPU to spare the digest costs no
    throughput (:func:`receiver_for` picks it only then). At most
    :data:`QUEUED_CHUNKS` chunks wait between the two (bounded memory). A failed write surfaces at the
    next chunk or at the end; :meth:`close` stops the thread whatever happened.
    """

    #: Chunks read but not yet written, at most.
    QUEUED_CHUNKS = 8

    def __init__(self, call: Call, sink: Sink, max_bytes: int, *, reserve: bool = False) -> None:
        super().__init__(call, sink, max_bytes, reserve=reserve)
        self._queue: queue.Queue[bytes | None] = queue.Queue(self.QUEUED_CHUNKS)
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def _deliver(self, chunk: bytes) -> None:
        self._raise_failure()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="datalore-download-writer", daemon=True)
            self._thread.start()
        self._queue.put(chunk)

    def _work(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._failure is None:  # after a failure, only drain: the reader must never block
                try:
                    super()._deliver(chunk)
                except BaseException as err:
                    self._failure = err

    def _raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def _drain(self) -> None:
        """Wait until every queued chunk is written; stop the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def result(self) -> Downloaded:
        self._drain()
        self._raise_failure()
        return super().result()

    def restart(self, failed: AttemptFailed) -> None:
        self._drain()
        self._raise_failure()  # a sink that failed is final, whatever the server did
        super().restart(failed)

    def close(self) -> None:
        self._drain()


def receiver_for(call: Call, sink: Sink, max_bytes: int, *, reserve: bool = False) -> Receiver:
    """
    Return the receiver a blocking download uses: a :class:`ThreadedReceiver` if the process may run on
    more than one CPU, else a :class:`Receiver`, which digests and writes each chunk as it is read. On one
    CPU the writer thread cannot overlap the reads, and each hand-off only costs the reader its turn: a
    download pinned to one CPU ran about a tenth faster without it.
    """
    return (ThreadedReceiver if usable_cpus() > 1 else Receiver)(call, sink, max_bytes, reserve=reserve)


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity on Linux; the machine's count elsewhere)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


class UploadBody:
    """
    A file to upload, as requests-toolbelt's encoder reads one: ``len`` is the bytes still to come.

    The encoder sizes a part from ``len``, ``fileno()`` or ``getvalue()``; an fsspec file (S3, GCS) has
    none that works, so the size is found once here (``seek``/``tell``) and counted down as the encoder
    reads. A file that ends before its size fails the attempt instead of leaving the server waiting.

    :param fileobj: The file, at the position to send from.
    :param size: Its bytes from that position, if known (a pipe's are not).
    :raises DataloreError: The size is not given and the file cannot tell it (it cannot seek).
    """

    def __init__(self, fileobj: Any, call: Call, size: int | None = None) -> None:
        self._file = fileobj
        self._left = size if size is not None else _remaining_bytes(fileobj, call)

    @property
    def len(self) -> int:
        return self._left

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(min(size, self._left) if size >= 0 else self._left)
        if not data and self._left:
            raise OSError(f"the file ended {self._left} bytes before its size")
        self._left -= len(data)
        return data


def _remaining_bytes(fileobj: Any, call: Call) -> int:
    if not rewindable(fileobj, truncate=False):
        raise DataloreError(
            f"Could not {call.action} ({call.where}): the file cannot seek, so its size is unknown; "
            "pass size= or a regular file."
        )
    start = fileobj.tell()
    end = fileobj.seek(0, 2)
    fileobj.seek(start)
    return int(end - start)


def upload_start(fileobj: Any) -> int:
    """Return the position an upload sends the file from, and a retry rewinds it to (0 for a pipe)."""
    return int(fileobj.tell()) if rewindable(fileobj, truncate=False) else 0


def rewind_upload(fileobj: Any, call: Call, failed: AttemptFailed, start: int) -> None:
    """
    Rewind an upload's file to where it was sent from, before the next attempt.

    :raises DataloreRequestError: The file cannot be rewound (a pipe): the failure is final.
    """
    if not rewindable(fileobj, truncate=False):
        raise DataloreRequestError(
            f"Could not {call.action} ({call.where}): {failed.reason}; the file cannot be rewound (it has "
            "no seek()), so it is not sent again.",
            http_status=failed.status,
            endpoint=call.where,
        )
    fileobj.seek(start)


def rewindable(obj: Any, *, truncate: bool) -> bool:
    """Whether a file object can go back to its start (and, with ``truncate``, be emptied)."""
    seekable = getattr(obj, "seekable", None)
    if callable(seekable) and not seekable():
        return False
    return callable(getattr(obj, "seek", None)) and (not truncate or callable(getattr(obj, "truncate", None)))


def call_url(base_url: str, call: Call) -> str:
    """Return the URL of a call: the server, the path, and the call's query, URL-encoded."""
    url = base_url + call.path
    return f"{url}?{urlencode(call.query)}" if call.query else url
