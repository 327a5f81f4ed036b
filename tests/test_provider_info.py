"""Registration: the provider info is valid for the installed Airflow, and Airflow finds the provider."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import airflow
import jsonschema
import pytest

from airflow_provider_datalore import get_provider_info
from airflow_provider_datalore.hooks.datalore import DataloreHook


def test_provider_info_matches_airflows_schema():
    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_package_name_is_the_distribution_name():
    assert get_provider_info()["package-name"] == "airflow-provider-datalore"


def test_entry_point_is_registered():
    (entry_point,) = [
        ep
        for ep in entry_points(group="apache_airflow_provider")
        if ep.value.startswith("airflow_provider_datalore")
    ]
    assert entry_point.load() is get_provider_info


def test_connection_type_and_form():
    (conn_type,) = get_provider_info()["connection-types"]
    assert conn_type["connection-type"] == "datalore"
    assert conn_type["hook-name"] == "Datalore"
    assert conn_type["hook-class-name"] == "airflow_provider_datalore.hooks.datalore.DataloreHook"
    assert conn_type["ui-field-behaviour"]["relabeling"] == {"host": "Datalore URL", "password": "API token"}
    assert set(conn_type["conn-fields"]) == {"timeout", "verify_ssl", "ca_bundle"}
    assert DataloreHook.conn_type == "datalore"
    assert DataloreHook.default_conn_name == "datalore_default"
    assert DataloreHook.conn_name_attr == "datalore_conn_id"
    behaviour = DataloreHook.get_ui_field_behaviour()
    assert behaviour["hidden_fields"] == conn_type["ui-field-behaviour"]["hidden-fields"]
    assert behaviour["placeholders"]["host"].startswith("https://datalore.jetbrains.com")


def test_airflow_reads_the_connection_form_from_the_provider_info():
    """What the connection form shows: Airflow >= 3.2 reads provider info, older ones the hook's methods."""
    import importlib.util

    from airflow.providers_manager import ProvidersManager

    from_provider_info = not airflow.__version__.startswith(("2.", "3.0.", "3.1."))
    if not from_provider_info and not all(
        importlib.util.find_spec(name) for name in ("wtforms", "flask_appbuilder", "flask_babel")
    ):
        pytest.skip(
            "Airflow 3.0 and 3.1 read every provider's form fields through wtforms and Flask-AppBuilder, "
            "which this environment lacks (the FAB provider brings them): no provider's fields show"
        )

    manager = ProvidersManager()
    behaviours = manager.field_behaviours
    assert behaviours["datalore"]["relabeling"] == {"host": "Datalore URL", "password": "API token"}
    assert "extra__datalore__timeout" in manager.connection_form_widgets
    assert "extra__datalore__ca_bundle" in manager.connection_form_widgets


def test_airflow_providers_list_shows_the_provider(tmp_path):
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path)}
    airflow_cli = Path(sys.executable).with_name("airflow")
    result = subprocess.run(
        [str(airflow_cli), "providers", "list", "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # The JSON list, after any log lines Airflow printed first ("[2026-...] {providers_manager.py} INFO ...").
    start = re.search(r"^\[\s*[{\]]", result.stdout, re.MULTILINE)
    assert start, result.stdout[-2000:]
    providers = {p["package_name"]: p for p in json.loads(result.stdout[start.start() :])}
    assert providers["airflow-provider-datalore"]["version"] == "0.1.0"
