"""Apache Airflow provider for JetBrains Datalore: run notebooks, and move their files, through Datalore's APIs."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def get_provider_info() -> dict[str, Any]:
    """Return what Airflow's provider manager needs to know about this provider."""
    from airflow_provider_datalore.connection_form import CONN_FIELDS, CONN_TYPE, UI_FIELD_BEHAVIOUR

    return {
        "package-name": "airflow-provider-datalore",
        "name": "Datalore",
        "description": "Run [JetBrains Datalore](https://www.jetbrains.com/datalore/) notebooks "
        "through the Datalore Run API.",
        "integrations": [
            {
                "integration-name": "Datalore",
                "external-doc-url": "https://www.jetbrains.com/help/datalore/api-run.html",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {
                "integration-name": "Datalore",
                "python-modules": ["airflow_provider_datalore.hooks.datalore"],
            }
        ],
        "operators": [
            {
                "integration-name": "Datalore",
                "python-modules": [
                    "airflow_provider_datalore.operators.datalore",
                    "airflow_provider_datalore.operators.interactive",
                    "airflow_provider_datalore.operators.files",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": "Datalore",
                "python-modules": ["airflow_provider_datalore.sensors.datalore"],
            }
        ],
        "triggers": [
            {
                "integration-name": "Datalore",
                "python-modules": [
                    "airflow_provider_datalore.triggers.datalore",
                    "airflow_provider_datalore.triggers.interactive",
                ],
            }
        ],
        "extra-links": [
            "airflow_provider_datalore.links.datalore.DataloreNotebookLink",
            "airflow_provider_datalore.links.datalore.DataloreReportLink",
        ],
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": "airflow_provider_datalore.hooks.datalore.DataloreHook",
                "hook-name": "Datalore",
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
                "conn-fields": CONN_FIELDS,
            }
        ],
    }
