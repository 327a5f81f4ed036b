"""The OpenLineage names of the files a task moves (lineage_record), as the OpenLineage naming spec gives them."""

from __future__ import annotations

import pytest

from airflow_provider_datalore.lineage_record import DatasetName, file_dataset, notebook_file_dataset


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://lake/reports/2026-11-02/summary.csv", ("s3://lake", "reports/2026-11-02/summary.csv")),
        ("s3a://lake/a.csv", ("s3://lake", "a.csv")),
        ("gs://bucket/in/orders.csv", ("gs://bucket", "in/orders.csv")),
        ("gcs://bucket/in/orders.csv", ("gs://bucket", "in/orders.csv")),
        ("file:///data/in/orders.csv", ("file", "/data/in/orders.csv")),
        ("/data/in/orders.csv", ("file", "/data/in/orders.csv")),
        (
            "abfs://container@account.dfs.core.windows.net/x/y.csv",
            ("abfs://container@account.dfs.core.windows.net", "x/y.csv"),
        ),
    ],
)
def test_files_on_airflows_side_are_named_as_the_spec_names_object_stores(uri, expected):
    assert file_dataset(uri) == DatasetName(*expected)


def test_notebook_files_and_artifacts_are_named_below_the_datalore_server():
    base = "https://datalore.example.com"
    assert notebook_file_dataset(base, "alice/sales", "data/notebook_files/out.csv") == DatasetName(
        base, "/notebook/alice/sales/data/notebook_files/out.csv"
    )
    artifact = "/notebook/alice/sales/artifacts/run-1/sales.ipynb"  # as the run's artifacts are named
    assert notebook_file_dataset(base, "alice/sales", artifact) == DatasetName(base, artifact)
