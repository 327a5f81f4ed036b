"""
The ``datalore`` connection type as the API server presents it: the form's fields, and the Test button.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.system.suite_config import TOKEN

if TYPE_CHECKING:
    from tests.system.deployment import AirflowDeployment

pytestmark = pytest.mark.system


def test_provider_is_registered(deployment: AirflowDeployment) -> None:
    providers = deployment.api("GET", "/providers", params={"limit": 1000})["providers"]
    assert "airflow-provider-datalore" in {provider["package_name"] for provider in providers}


def test_connection_form_fields(deployment: AirflowDeployment) -> None:
    """The UI builds the connection form from ``/ui/connections/hook_meta``: check what it gets for Datalore."""
    (meta,) = [
        m for m in deployment.api("GET", "/ui/connections/hook_meta") if m["connection_type"] == "datalore"
    ]
    assert meta["hook_name"] == "Datalore"
    assert meta["hook_class_name"] == "airflow_provider_datalore.hooks.datalore.DataloreHook"

    standard = meta["standard_fields"]
    assert standard["host"]["hidden"] is False
    assert standard["host"]["title"] == "Datalore URL"
    assert standard["host"]["placeholder"].startswith("https://datalore.jetbrains.com")
    assert standard["password"]["hidden"] is False
    assert standard["password"]["title"] == "API token"
    assert "API token" in standard["password"]["placeholder"]
    assert standard["login"]["hidden"] is True
    assert standard["port"]["hidden"] is True
    assert standard["url_schema"]["hidden"] is True

    extra = meta["extra_fields"]
    assert set(extra) == {"timeout", "verify_ssl", "ca_bundle"}
    assert extra["timeout"]["schema"]["title"] == "Request timeout (seconds)"
    assert extra["timeout"]["value"] == 30
    assert extra["verify_ssl"]["schema"]["title"] == "Verify TLS certificate"
    assert extra["verify_ssl"]["value"] is True
    assert extra["ca_bundle"]["schema"]["title"] == "CA bundle path"
    assert all(field["description"] for field in extra.values())


def test_test_button_accepts_a_good_token(deployment: AirflowDeployment) -> None:
    answer = deployment.api(
        "POST",
        "/connections/test",
        json_body={
            "connection_id": "datalore_form_test",
            "conn_type": "datalore",
            "host": deployment.emulator_url,
            "password": TOKEN,
            "extra": '{"timeout": 10}',
        },
    )
    assert answer["status"] is True, answer
    assert deployment.emulator_url in answer["message"]
    assert TOKEN not in answer["message"]


def test_test_button_names_a_bad_token(deployment: AirflowDeployment) -> None:
    bad_token = "dl-revoked-token-0000"
    answer = deployment.api(
        "POST",
        "/connections/test",
        json_body={
            "connection_id": "datalore_form_test",
            "conn_type": "datalore",
            "host": deployment.emulator_url,
            "password": bad_token,
        },
    )
    assert answer["status"] is False, answer
    assert "HTTP 401" in answer["message"]
    assert "check the API token (password) of this connection" in answer["message"]
    assert bad_token not in answer["message"]
