"""
Every endpoint of the Notebook API, from JetBrains' reference, with what a call to it may do.

Reads change nothing and are retried on transient failures. Whatever may run code (a cell run, a control
update or a cell edit with ``run``), creates, replaces, deletes, uploads or publishes is not: a lost
answer leaves its fate unknown, and the error says what may have happened. The reference documents
``/kernel/interrupt`` and ``/agent/stop`` as idempotent: they are retried like reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.notebook_api import PREFIX
from airflow_provider_datalore.transport.calls import Call, Endpoint, ReplyKind, RequestKind

if TYPE_CHECKING:
    from airflow_provider_datalore.notebook_api.notebook import NotebookRef

API = "Notebook API"
#: What a 404 that is not the Notebook API's own error means (the reference names no server version).
NO_NOTEBOOK_API = "this Datalore server has no Notebook API; it needs Datalore 2026.2 or later"
CELL_RUNNING = "the cell may be running now"


#: Bytes a reply with cells' outputs may have: ``/cells`` sends up to about 5 million characters of
#: output text (the reference), each up to 4 bytes in UTF-8, with the cells' sources and fields besides.
#: Other replies keep the transport's 4 MiB.
OUTPUTS_REPLY_BYTES = 32 * 1024 * 1024


def _read(
    name: str, path: str, reply: ReplyKind = ReplyKind.JSON, max_reply_bytes: int | None = None
) -> Endpoint:
    return Endpoint(
        API,
        name,
        "POST",
        PREFIX + path,
        reply=reply,
        safe_to_retry=True,
        absent_api=NO_NOTEBOOK_API,
        max_reply_bytes=max_reply_bytes,
    )


def _change(
    name: str,
    path: str,
    fate: str,
    *,
    starts: bool = False,
    request: RequestKind = RequestKind.JSON,
    reply: ReplyKind = ReplyKind.JSON,
) -> Endpoint:
    return Endpoint(
        API,
        name,
        "POST",
        PREFIX + path,
        request,
        reply,
        may_start_work=starts,
        unknown_fate=fate,
        absent_api=NO_NOTEBOOK_API,
    )


# Cells and worksheets
CELLS = _read("cells", "/cells", max_reply_bytes=OUTPUTS_REPLY_BYTES)
CELL = _read("cell", "/cell", max_reply_bytes=OUTPUTS_REPLY_BYTES)
CELL_OUTPUTS = _read("cell outputs", "/cell/outputs", max_reply_bytes=OUTPUTS_REPLY_BYTES)
CELL_CREATE = _change("cell create", "/cell/create", "the cell may have been created (and run, with run)")
CELL_CREATE_AND_RUN = _change("cell create and run", "/cell/create", CELL_RUNNING, starts=True)
#: Replacing a cell's source with the same source again changes nothing more.
CELL_EDIT = _read("cell edit", "/cell/edit")
CELL_EDIT_AND_RUN = _change("cell edit and run", "/cell/edit", CELL_RUNNING, starts=True)
CELL_DELETE = _change("cell delete", "/cell/delete", "the cell may have been deleted", reply=ReplyKind.EMPTY)
CELL_RUN = _change("cell run", "/cell/run", CELL_RUNNING, starts=True)
CELLS_RUN = _change("cells run", "/cells/run", "the cells may be running now", starts=True)
#: Setting a control to the same value again changes nothing more; with ``run`` it runs the cell.
CONTROL_UPDATE = _read("control update", "/cell/controls/update")
CONTROL_UPDATE_AND_RUN = _change("control update and run", "/cell/controls/update", CELL_RUNNING, starts=True)
WORKSHEET_CREATE = _change("worksheet create", "/worksheet/create", "the worksheet may have been created")
DEFINITIONS = _read("definitions", "/definitions")

# Kernel
KERNEL_STATUS = _read("kernel status", "/kernel/status")
KERNEL_INTERRUPT = _read("kernel interrupt", "/kernel/interrupt")
KERNEL_RESTART = _change(
    "kernel restart", "/kernel/restart", "the kernel may be restarting, its variables gone"
)
AGENT_STOP = _read("agent stop", "/agent/stop", reply=ReplyKind.EMPTY)

# Files
FILES = _read("files", "/files")
FILE = _read("file", "/file", reply=ReplyKind.STREAM)
FILE_EXISTS = _read("file exists", "/file/exists")
FILE_READ = _read("file read", "/file/read")
FILE_UPLOAD = _change(
    "file upload", "/file/upload", "the file may have been uploaded", request=RequestKind.MULTIPART
)
FILE_DELETE = _change("file delete", "/file/delete", "the file may have been deleted", reply=ReplyKind.EMPTY)

# Report
REPORT = _read("report", "/report")
REPORT_REPLACE = _change("report replace", "/report/replace", "the report layout may have been replaced")
REPORT_OPERATIONS = _change(
    "report operations", "/report/operations", "the report layout may have been changed"
)
REPORT_PUBLISH = _change("report publish", "/report/publish", "the report may have been published")

# Databases
DATABASES = _read("databases", "/databases")
SCHEMA_CHILDREN = _read("schema children", "/database/schema/children")
SCHEMA_CONDENSED = _read("schema condensed", "/database/schema/condensed")
SCHEMA_SEARCH = _read("schema search", "/database/schema/search")

#: Every endpoint of the Notebook API; a path with and without ``run`` has a row for each.
ENDPOINTS = (
    CELLS,
    CELL,
    CELL_OUTPUTS,
    CELL_CREATE,
    CELL_CREATE_AND_RUN,
    CELL_EDIT,
    CELL_EDIT_AND_RUN,
    CELL_DELETE,
    CELL_RUN,
    CELLS_RUN,
    CONTROL_UPDATE,
    CONTROL_UPDATE_AND_RUN,
    WORKSHEET_CREATE,
    DEFINITIONS,
    KERNEL_STATUS,
    KERNEL_INTERRUPT,
    KERNEL_RESTART,
    AGENT_STOP,
    FILES,
    FILE,
    FILE_EXISTS,
    FILE_READ,
    FILE_UPLOAD,
    FILE_DELETE,
    REPORT,
    REPORT_REPLACE,
    REPORT_OPERATIONS,
    REPORT_PUBLISH,
    DATABASES,
    SCHEMA_CHILDREN,
    SCHEMA_CONDENSED,
    SCHEMA_SEARCH,
)


def notebook_call(endpoint: Endpoint, base_url: str, notebook: NotebookRef, verb: str, **more: Any) -> Call:
    """
    Return a call to ``endpoint`` about one notebook.

    :param verb: What the call does to it, in the words of an error message, e.g. "read the kernel status of".
    :param more: Further fields of the call (``query``).
    """
    return Call.about_notebook(endpoint, base_url, notebook.notebook_id, verb, **more)
