"""
The cells of the default notebook ``demo/sales-report``: a report with a control of every kind.

A markdown title; controls for the period (a date range), the region (a static dropdown), the minimum
order (a slider), whether returns count (a checkbox) and the title (a text input); then code cells that
load the orders (stdout naming the region and period), show a TABLE, print a TEXT summary built from the
controls, draw a PLOT and end with the KPI ``total_sales`` as a LAST_EXPRESSION (``1234``).
"""

from __future__ import annotations

from typing import Any

from airflow_provider_datalore.emulator.cells import Cell, parse_cells

_TABLE = (
    "<table><thead><tr><th>region</th><th>orders</th><th>amount</th></tr></thead>"
    "<tbody><tr><td>{region}</td><td>42</td><td>1234.00</td></tr></tbody></table>"
)
#: The JSON form of the default notebook's cells.
SALES_REPORT_CELLS_JSON: list[dict[str, Any]] = [
    {"id": "intro", "type": "MARKDOWN", "source": "# Sales report\nOrders by region over a period."},
    {
        "id": "period",
        "type": "CONTROL",
        "control": {
            "controlType": "DATEPICKER",
            "label": "Period",
            "variable": "period",
            "startDate": "2026-11-01",
            "endDate": "2026-11-30",
            "withRange": True,
        },
    },
    {
        "id": "region",
        "type": "CONTROL",
        "control": {
            "controlType": "DROPDOWN",
            "label": "Region",
            "variable": "region",
            "items": ["EMEA", "AMER", "APAC"],
            "selectedValue": "EMEA",
            "multiselect": False,
            "selectedValues": [],
            "selectedVariable": None,
        },
    },
    {
        "id": "min-amount",
        "type": "CONTROL",
        "control": {
            "controlType": "SLIDER",
            "label": "Minimum order",
            "variable": "min_amount",
            "value": "50",
            "min": "0",
            "max": "500",
            "step": "10",
        },
    },
    {
        "id": "returns",
        "type": "CONTROL",
        "control": {
            "controlType": "CHECKBOX",
            "label": "Include returns",
            "variable": "include_returns",
            "value": False,
        },
    },
    {
        "id": "title",
        "type": "CONTROL",
        "control": {
            "controlType": "TEXT_INPUT",
            "label": "Title",
            "variable": "title",
            "value": "Monthly sales",
            "multiline": False,
        },
    },
    {
        "id": "load",
        "type": "CODE",
        "source": (
            "import pandas as pd\n"
            "orders = pd.read_csv('orders.csv')\n"
            "orders = orders[(orders.region == region) & (orders.amount >= float(min_amount))]\n"
            "print(f'Loaded {len(orders)} orders for {region}, {period}')"
        ),
        "stdout": "Loaded 42 orders for {region}, {period}\n",
        "outputs": [{"type": "TEXT", "text": "Loaded 42 orders for {region}, {period}\n"}],
    },
    {
        "id": "table",
        "type": "CODE",
        "source": "summary = orders.groupby('region').amount.agg(['count', 'sum'])\nsummary",
        "outputs": [{"type": "TABLE", "text": _TABLE}],
    },
    {
        "id": "summary",
        "type": "CODE",
        "source": "print(f'{title}: {region}, {period}, orders >= {min_amount}, returns: {include_returns}')",
        "stdout": "{title}: {region}, {period}, orders >= {min_amount}, returns: {include_returns}\n",
        "outputs": [
            {
                "type": "TEXT",
                "text": "{title}: {region}, {period}, orders >= {min_amount}, returns: {include_returns}\n",
            }
        ],
    },
    {
        "id": "chart",
        "type": "CODE",
        "source": "orders.plot(x='day', y='amount')",
        "outputs": [{"type": "PLOT", "text": None}],
    },
    {
        "id": "kpi",
        "type": "CODE",
        "source": "total_sales = round(orders.amount.sum())\ntotal_sales",
        "outputs": [{"type": "LAST_EXPRESSION", "text": "1234"}],
    },
]


def sales_report_cells() -> tuple[Cell, ...]:
    """Return the default notebook's cells, checked (a fresh copy each call)."""
    return parse_cells(SALES_REPORT_CELLS_JSON, "demo/sales-report")
