"""
The documentation's Python runs: every ``python`` block of README.md and docs/ is executed here.

Each block is self-contained (its imports included) and is run as written, in a fresh namespace inside
a DAG (as a reader's tasks would be), with
the default Datalore connection pointing at an emulator that serves the notebooks the docs name; so a
renamed argument or method fails here (operators refuse unknown arguments), not for a reader. The
README's task is also executed against the emulator, and the hook's block is checked on the wire.

Nothing here needs the docs' own environment (MkDocs): the blocks are found with a regular expression,
so the test runs on every line of the matrix, in its copy of the repository.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_datalore.emulator import DEFAULT_NOTEBOOK, EmulatorConfig, Notebook
from tests.helpers import task_context

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").rglob("*.md"))
#: A fenced block of Python: its body up to the closing fence.
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
#: The notebook the docs' examples name, besides the emulator's own ``demo/sales-report``.
DOCS_NOTEBOOK = "aBc123/XyZ789"
#: The README must stay an entrance (issue 23): what it is, the commands, install, the connection, one
#: example, the screenshots and the links; the rest is in docs/.
README_LIMIT = 10_000


def python_blocks(path: Path) -> list[tuple[str, str]]:
    """Return ``(file:line, code)`` for each ``python`` block of the file."""
    text = path.read_text(encoding="utf-8")
    return [
        (f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}", match.group(1))
        for match in PYTHON_BLOCK.finditer(text)
    ]


BLOCKS = [block for path in [README, *PAGES] for block in python_blocks(path)]


@pytest.fixture
def docs_emulator(monkeypatch):
    """An emulator with the docs' notebooks, as the default connection (the docs' token is a secret)."""
    from airflow_provider_datalore.emulator import DataloreEmulator

    config = EmulatorConfig(
        tokens={"docs-token": {DEFAULT_NOTEBOOK: "editor", DOCS_NOTEBOOK: "editor"}},
        notebooks=[Notebook(id=DEFAULT_NOTEBOOK, polls=1), Notebook(id=DOCS_NOTEBOOK, polls=1)],
    )
    with DataloreEmulator(config) as emulator:
        conn = {"conn_type": "datalore", "host": emulator.url, "password": "docs-token"}
        monkeypatch.setenv("AIRFLOW_CONN_DATALORE_DEFAULT", json.dumps(conn))
        yield emulator


def test_the_docs_have_python_blocks():
    # A guard against a vacuous test: a changed fence or pattern would find nothing and pass.
    where = {location.split(":")[0] for location, _ in BLOCKS}
    assert {"README.md", "docs/getting-started.md", "docs/run-notebook-operator.md", "docs/hook.md"} <= where


@pytest.mark.parametrize(("location", "code"), BLOCKS, ids=[location for location, _ in BLOCKS])
def test_every_python_block_runs(location, code, docs_emulator):
    # Inside a DAG, as a reader's tasks would be: the blocks that chain tasks (``a >> b``) need one.
    with DAG(
        dag_id="docs_snippet", schedule=None, start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    ):
        exec(compile(code, location, "exec"), {"__name__": "docs_snippet"})


def test_the_hook_block_talks_to_the_server(docs_emulator):
    # The hook's block is not only valid Python: it starts one run of the notebook it names.
    (code,) = [code for location, code in BLOCKS if location.startswith("docs/hook.md")]
    exec(compile(code, "docs/hook.md", "exec"), {"__name__": "docs_snippet"})
    (start,) = docs_emulator.run_starts(DOCS_NOTEBOOK)
    assert start.body["parameters"] == [{"name": "region", "value": "EU"}]


def test_the_getting_started_dag_is_the_readmes():
    (readme_dag,) = [code for location, code in BLOCKS if location.startswith("README.md")]
    assert readme_dag in [code for location, code in BLOCKS if location.startswith("docs/getting-started.md")]


def test_the_readmes_task_runs_the_notebook(docs_emulator):
    # The README's task, executed (polling, quickly): one run of its notebook, its parameters on the
    # wire (templates unrendered: no DAG run here), its result in XCom. The example DAG
    # example_datalore_scheduled_refresh runs the same task with dag.test(), deferrable and polling.
    (code,) = [code for location, code in BLOCKS if location.startswith("README.md")]
    namespace: dict = {"__name__": "docs_snippet"}
    exec(compile(code, "README.md", "exec"), namespace)
    task = namespace["refresh"]
    task.deferrable, task.poll_interval = False, 0.05
    context = task_context()
    result = task.execute(context)
    (start,) = docs_emulator.run_starts(DEFAULT_NOTEBOOK)
    assert start.body["parameters"] == [
        {"name": "start_date", "value": "{{ data_interval_start | ds }}"},
        {"name": "region", "value": "EMEA"},
    ]
    assert start.body["updateReport"] == "on success"
    assert result["success"] is True
    assert context["ti"].xcom["run_id"] == result["run_id"]


def test_the_readme_is_an_entrance():
    text = README.read_text(encoding="utf-8")
    assert len(text.encode()) < README_LIMIT
    assert "make demo" in text and "make test" in text
    assert "Python 3.11+, git and make" in text


def test_the_readme_links_every_page():
    # Relative links, which work on GitHub and in a clone; mkdocs.yml's nav lists the same pages.
    linked = set(re.findall(r"\]\((docs/[\w-]+\.md)[#)]", README.read_text(encoding="utf-8")))
    pages = {f"docs/{path.name}" for path in PAGES if path.name != "index.md"}
    assert linked == pages
