"""The API token leaks nowhere: not in task logs, XCom, trigger kwargs, rendered templates or redirects."""

from __future__ import annotations

import json

import pytest

from tests.constants import TOKEN
from tests.helpers import fast, run_dag, task_states, token_leaks

pytestmark = pytest.mark.integration

EXAMPLES = [
    "datalore_scheduled_refresh",
    "datalore_report_after_load",
    "datalore_start_then_sense",
    "datalore_per_region",
    "datalore_interactive_refresh",
]


def stored_rows(model, dag_run) -> list[str]:
    """Every row a table holds for the DAG run, as text."""
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = (
            session.query(model).filter(model.dag_id == dag_run.dag_id, model.run_id == dag_run.run_id).all()
        )
        return [
            json.dumps({c.name: getattr(row, c.name) for c in model.__table__.columns}, default=repr)
            for row in rows
        ]


def xcom_model():
    try:
        from airflow.models.xcom import XComModel  # Airflow 3

        return XComModel
    except ImportError:
        from airflow.models.xcom import BaseXCom  # Airflow 2

        return BaseXCom


@pytest.fixture
def trigger_kwargs(monkeypatch):
    """What Airflow stores for each trigger that runs (either trigger): the kwargs of its serialize()."""
    from airflow_provider_datalore.triggers.datalore import DataloreRunStatusTrigger
    from airflow_provider_datalore.triggers.interactive import DataloreInteractiveRunTrigger

    stored: list[dict] = []
    for trigger_class in (DataloreRunStatusTrigger, DataloreInteractiveRunTrigger):
        original = trigger_class.run

        async def run(self, original=original):
            stored.append(self.serialize()[1])
            async for event in original(self):
                yield event

        monkeypatch.setattr(trigger_class, "run", run)
    return stored


@pytest.mark.parametrize("deferrable", [True, False], ids=["deferrable", "polling"])
@pytest.mark.parametrize("dag_id", EXAMPLES)
def test_token_leaks_nowhere(dag_id, deferrable, example_dags, emulator, trigger_kwargs, capfd):
    from airflow.models.renderedtifields import RenderedTaskInstanceFields

    if dag_id == "datalore_report_after_load":
        run_dag(example_dags.get_dag("datalore_load_sales"))
    dag_run = run_dag(fast(example_dags.get_dag(dag_id), deferrable=deferrable))
    # (the interactive example's branch skips one of its two tasks)
    assert set(task_states(dag_run).values()) <= {"success", "skipped"}
    assert "success" in task_states(dag_run).values()
    output = capfd.readouterr()

    assert token_leaks(f"{output.out}\n{output.err}", TOKEN) == []
    xcoms = stored_rows(xcom_model(), dag_run)
    assert xcoms
    assert not [row for row in xcoms if TOKEN in row]
    rendered = stored_rows(RenderedTaskInstanceFields, dag_run)
    assert rendered
    assert not [row for row in rendered if TOKEN in row]
    assert bool(trigger_kwargs) is deferrable
    assert TOKEN not in json.dumps(trigger_kwargs)


def test_token_is_not_sent_to_another_host_on_a_redirect(emulator, datalore_connection):
    from airflow_provider_datalore.emulator import DataloreEmulator
    from airflow_provider_datalore.exceptions import DataloreConfigError
    from airflow_provider_datalore.hooks.datalore import DataloreHook

    with DataloreEmulator() as elsewhere:
        for endpoint in ("run", "status"):
            emulator.add_faults(
                {"endpoint": endpoint, "status": 307, "location": f"{elsewhere.url}/api/run/v1/notebook"}
            )
        with pytest.raises(DataloreConfigError, match="redirect"):
            DataloreHook().run_notebook("demo/sales-report")
        with pytest.raises(DataloreConfigError, match="redirect"):
            DataloreHook().get_run("r1")
        assert elsewhere.journal == []
    assert [e.status for e in emulator.journal] == [307, 307]
