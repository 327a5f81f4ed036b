"""The ``datalore`` connection type and its form: plain data, read by the provider info without imports."""

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
