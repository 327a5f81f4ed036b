"""
``[core] hostname_callable`` of the topology suite's Airflow processes: each is a "machine" of its own.

Every service runs on this one machine, so the real host name would not tell them apart. Each gets its
service name (``worker-1``, ``triggerer-2``, ...) in ``DATALORE_TOPOLOGY_HOST`` instead: Airflow records
it as the host of the jobs it runs (``job.hostname``) and of the task instances a worker runs
(``task_instance.hostname``), so a test reads which triggerer or worker holds what. This folder is put on
the services' ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    """Return the service's name, or the machine's when none was given."""
    return os.environ.get("DATALORE_TOPOLOGY_HOST") or socket.getfqdn()
