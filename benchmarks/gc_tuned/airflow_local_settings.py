"""
The garbage-collector setting docs/production.md gives a triggerer with thousands of waits,
as the benchmark's ``datalore-gc`` scenarios apply it: this folder is put first on the trigger process's
``PYTHONPATH``, and Airflow imports ``airflow_local_settings`` when it starts (docs/production.md's version
applies it to ``airflow triggerer`` only; its runner subprocess, forked, inherits it).

A first generation of 10 000 objects instead of 700: fewer young collections, so far fewer of the
objects of polls in flight are promoted to the oldest generation, whose collections walk every object
of the process and stop the event loop for 100-250 ms at 3000 triggers.
"""

from __future__ import annotations

import gc

gc.set_threshold(10_000, 10, 10)
