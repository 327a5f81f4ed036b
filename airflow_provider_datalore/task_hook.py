"""``DataloreTaskHookMixin``: the hook of a task (operator or sensor), made once from its connection and settings."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_datalore.hooks.datalore import DataloreHook


class DataloreTaskHookMixin:
    """The ``hook`` of every Datalore operator and sensor: ``datalore_conn_id`` with ``hook_params``."""

    datalore_conn_id: str
    hook_params: dict[str, Any] | None = None

    @cached_property
    def hook(self) -> DataloreHook:
        """The hook for ``datalore_conn_id``, with the task's ``hook_params`` (checked here)."""
        # Imported here: a DAG file imports the operators on every parse, and the hook brings requests.
        from airflow_provider_datalore.checks import check_hook_params
        from airflow_provider_datalore.hooks.datalore import DataloreHook

        return DataloreHook(datalore_conn_id=self.datalore_conn_id, **check_hook_params(self.hook_params))
