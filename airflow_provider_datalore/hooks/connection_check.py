"""The connection form's Test button: what it checks, and what each outcome proves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_datalore.exceptions import DataloreApiError, DataloreAuthenticationError, DataloreError
from airflow_provider_datalore.run_api.endpoints import status_call
from airflow_provider_datalore.transport.retry import RetryPolicy

if TYPE_CHECKING:
    from airflow_provider_datalore.hooks.base import DataloreBaseHook

#: A run id no run has: reading it proves the URL and the token without starting anything.
PROBE_RUN_ID = "airflow-connection-test"


def check_connection(hook: DataloreBaseHook) -> tuple[bool, str]:
    """
    Read the status of a run id that does not exist, once; return ``(ok, what it proves)``.

    Only the Run API answers that read with a Datalore error (``{"error": ...}``, as its APIs document):
    then the URL and path prefix are right and the token was accepted (401 says it was not). Any other
    answer (HTML, a web framework's generic JSON 404, a redirect, no answer) means the URL or prefix is
    wrong. Nothing is started, and no notebook is read: whether the token may run a given notebook
    (access, scopes, single-notebook tokens) shows only when a task runs it.
    """
    try:
        settings = hook.settings
        call = status_call(PROBE_RUN_ID)
        hook._transport.request(call, policy=RetryPolicy(max_attempts=1))  # once: a form waits for it
    except DataloreAuthenticationError as err:
        # Airflow tests an unsaved form under a random connection id: do not name it.
        server = f": {err.server_message}" if err.server_message else ""
        return False, (
            f"Datalore at {settings.base_url} refused the API token (HTTP 401){server}. The token is "
            "missing, invalid or expired: check the API token (password) of this connection."
        )
    except DataloreApiError as err:
        if err.http_status is None:
            return False, str(err)
        if err.http_status not in (400, 403, 404) or err.server_message is None:
            return False, (
                f"{settings.base_url} does not answer like the Datalore Run API (HTTP {err.http_status} "
                f"to {call.where}, not a Datalore error reply); check the URL and any path prefix. {err}"
            )
    except (DataloreError, ValueError) as err:
        return False, str(err)
    return True, (
        f"Connected to Datalore at {settings.base_url}: the Run API answered and accepted the API token. "
        "Nothing was started; whether the token may run a given notebook shows when a task runs it."
    )
