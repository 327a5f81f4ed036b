"""The "Datalore notebook" extra link, read from the task's XCom (works on Airflow 2.11 and 3.x)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.providers.common.compat.sdk import BaseOperatorLink, XCom

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import BaseOperator, TaskInstanceKey

#: The XCom key under which a task keeps the notebook's URL.
NOTEBOOK_URL_XCOM_KEY = "notebook_url"


class DataloreNotebookLink(BaseOperatorLink):
    """Link a task to the Datalore notebook it ran or waited on."""

    name = "Datalore notebook"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        return XCom.get_value(key=NOTEBOOK_URL_XCOM_KEY, ti_key=ti_key) or ""


#: The XCom key under which the interactive operator keeps the published report's URL.
REPORT_URL_XCOM_KEY = "report_url"


class DataloreReportLink(BaseOperatorLink):
    """Link an interactive run's task to the report it published (empty until one is, or when its URL is unknown)."""

    name = "Datalore report"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        return XCom.get_value(key=REPORT_URL_XCOM_KEY, ti_key=ti_key) or ""
