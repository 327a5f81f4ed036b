"""
What the machine does with freed memory, which the file-transfer figures depend on.

A virtual machine whose balloon device has *free page reporting* (``VIRTIO_BALLOON_F_REPORTING``; Linux
reports free blocks of ``page_reporting_order`` and up, about two seconds after they are freed) hands
freed memory back to the host, which drops it. The next use of that memory faults in the host: writing
1 GiB to the page cache then costs the guest about 2.3 CPU seconds instead of about 0.2 (measured here,
a Firecracker guest, 2026-12-08). A download's file lands in memory freed by the last measurement's file;
whether it was reported yet depends on how long the process took to start, so the figures swing by a
factor of two, and the slower-starting client (ours imports Airflow) is hit more often. ``run.py`` records
the state and warns; it never changes it. As root,
``echo 11 > /sys/module/page_reporting/parameters/page_reporting_order`` (above the largest order) stops
the reports until the next boot.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

ORDER = Path("/sys/module/page_reporting/parameters/page_reporting_order")
BALLOONS = Path("/sys/bus/virtio/drivers/virtio_balloon")
#: What reported memory cost here: the figure the warning and the doc give.
COLD_WRITE_COST = (
    "writing 1 GiB to the page cache cost 2.3 CPU s in memory that went back to the host, 0.2 in memory "
    "that stayed, on a Firecracker guest on 2026-12-08"
)
#: The balloon's feature bit for free page reporting (the virtio spec's VIRTIO_BALLOON_F_REPORTING).
REPORTING_BIT = 5


def largest_page_order() -> int:
    """The largest order of the kernel's buddy allocator (columns of ``/proc/buddyinfo``, less one)."""
    with contextlib.suppress(OSError, IndexError):
        return len(Path("/proc/buddyinfo").read_text().splitlines()[0].split()[4:]) - 1
    return 10


def reporting_balloon() -> bool:
    """Whether a virtio balloon that reports free pages to the host is bound."""
    for features in BALLOONS.glob("virtio*/features"):
        with contextlib.suppress(OSError):
            bits = features.read_text().strip()
            if len(bits) > REPORTING_BIT and bits[REPORTING_BIT] == "1":
                return True
    return False


def free_page_reporting() -> dict[str, object]:
    """
    The machine's free page reporting: ``active`` and a ``summary`` for the doc.

    Active when a reporting balloon is bound and ``page_reporting_order`` is within the allocator's
    orders (above them, no block is ever reported).
    """
    balloon = reporting_balloon()
    try:
        order = int(ORDER.read_text())
    except (OSError, ValueError):
        order = None
    largest = largest_page_order()
    if not balloon:
        return {"active": False, "summary": "none (no virtio balloon that reports free pages)"}
    if order is None:
        return {"active": True, "summary": "on (a reporting virtio balloon; page_reporting_order unknown)"}
    if order > largest:
        return {
            "active": False,
            "summary": f"off (a reporting virtio balloon, page_reporting_order {order} > the largest "
            f"order {largest}: nothing is reported)",
        }
    return {
        "active": True,
        "summary": f"on (a reporting virtio balloon, page_reporting_order {order}: freed blocks of "
        f"{4 << order} KiB and up go back to the host)",
    }
