"""The ``datalore`` connection type and its form: plain data for the provider info, and the wtforms of 2.x."""

from __future__ import annotations

from typing import Any

CONN_TYPE = "datalore"
DEFAULT_CONN_ID = "datalore_default"
DEFAULT_TIMEOUT = 30.0

#: How the standard fields look in the connection form (Airflow >= 3.2 reads it from the provider info).
UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["schema", "login", "port", "extra"],
    "relabeling": {"host": "Datalore URL", "password": "API token"},
    "placeholders": {
        "host": "https://datalore.jetbrains.com (or your On-Premises URL, e.g. https://datalore.example.com)",
        "password": "Datalore API token (Account settings > API tokens)",
        "timeout": "30",
        "ca_bundle": "/etc/ssl/certs/internal-ca.pem",
    },
}

#: The extra fields of the connection form (Airflow >= 3.2 reads them from the provider info).
CONN_FIELDS: dict[str, Any] = {
    "timeout": {
        "label": "Request timeout (seconds)",
        "schema": {"type": ["integer", "null"], "default": int(DEFAULT_TIMEOUT), "minimum": 1},
        "description": "How long one HTTP request to Datalore may take.",
    },
    "verify_ssl": {
        "label": "Verify TLS certificate",
        "schema": {"type": ["boolean", "null"], "default": True},
        "description": "Turn off only for a test server with a self-signed certificate.",
    },
    "ca_bundle": {
        "label": "CA bundle path",
        "schema": {"type": ["string", "null"]},
        "description": "PEM file of the CA that signed an On-Premises server's certificate.",
    },
}


def legacy_ui_field_behaviour() -> dict[str, Any]:
    """Return :data:`UI_FIELD_BEHAVIOUR` as the hook's classmethod gives it to Airflow 2.11 to 3.1."""
    return {
        "hidden_fields": UI_FIELD_BEHAVIOUR["hidden-fields"],
        "relabeling": UI_FIELD_BEHAVIOUR["relabeling"],
        "placeholders": UI_FIELD_BEHAVIOUR["placeholders"],
    }


def legacy_form_widgets() -> dict[str, Any]:
    """Return :data:`CONN_FIELDS` as the wtforms fields Airflow 2.11 to 3.1 show (imported here, lazily)."""
    from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import BooleanField, IntegerField, StringField
    from wtforms.validators import NumberRange, Optional

    # Airflow 2.x accepts only IntegerField, PasswordField, StringField and BooleanField here.
    return {
        "timeout": IntegerField(
            lazy_gettext(CONN_FIELDS["timeout"]["label"]),
            widget=BS3TextFieldWidget(),
            validators=[Optional(), NumberRange(min=1)],
            default=CONN_FIELDS["timeout"]["schema"]["default"],
        ),
        "verify_ssl": BooleanField(lazy_gettext(CONN_FIELDS["verify_ssl"]["label"]), default=True),
        "ca_bundle": StringField(
            lazy_gettext(CONN_FIELDS["ca_bundle"]["label"]), widget=BS3TextFieldWidget()
        ),
    }
