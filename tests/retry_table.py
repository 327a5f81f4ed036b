"""The retry table: what each endpoint of both APIs may do, from their references (tests/test_retry.py)."""

from __future__ import annotations

# What each endpoint of both APIs may do: (safe to retry, may start work). The Notebook API's rows are
# from JetBrains' reference: reads are safe; runs, control updates and edits with ``run``, creates,
# uploads, deletes, replaces and publishes are not; interrupt and agent stop are documented idempotent.
SAFE, STARTS, NEITHER = (True, False), (False, True), (False, False)
ENDPOINT_TABLE = {
    ("Run API", "start"): STARTS,
    ("Run API", "status"): SAFE,
    ("Run API", "interactive"): STARTS,
    ("Notebook API", "cells"): SAFE,
    ("Notebook API", "cell"): SAFE,
    ("Notebook API", "cell outputs"): SAFE,
    ("Notebook API", "cell create"): NEITHER,
    ("Notebook API", "cell create and run"): STARTS,
    ("Notebook API", "cell edit"): SAFE,
    ("Notebook API", "cell edit and run"): STARTS,
    ("Notebook API", "cell delete"): NEITHER,
    ("Notebook API", "cell run"): STARTS,
    ("Notebook API", "cells run"): STARTS,
    ("Notebook API", "control update"): SAFE,
    ("Notebook API", "control update and run"): STARTS,
    ("Notebook API", "worksheet create"): NEITHER,
    ("Notebook API", "definitions"): SAFE,
    ("Notebook API", "kernel status"): SAFE,
    ("Notebook API", "kernel interrupt"): SAFE,
    ("Notebook API", "kernel restart"): NEITHER,
    ("Notebook API", "agent stop"): SAFE,
    ("Notebook API", "files"): SAFE,
    ("Notebook API", "file"): SAFE,
    ("Notebook API", "file exists"): SAFE,
    ("Notebook API", "file read"): SAFE,
    ("Notebook API", "file upload"): NEITHER,
    ("Notebook API", "file delete"): NEITHER,
    ("Notebook API", "report"): SAFE,
    ("Notebook API", "report replace"): NEITHER,
    ("Notebook API", "report operations"): NEITHER,
    ("Notebook API", "report publish"): NEITHER,
    ("Notebook API", "databases"): SAFE,
    ("Notebook API", "schema children"): SAFE,
    ("Notebook API", "schema condensed"): SAFE,
    ("Notebook API", "schema search"): SAFE,
}
