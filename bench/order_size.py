"""
What one order costs as it grows, and what an order past ``COMMERCE_PLUGIN_MAX_LINES_PER_ORDER``
costs to refuse (issue 17, finding 8: one signed 2,000-line order once took 17.8 s and 1.95 GB).

Each order is one signed request through Django's test ``Client`` in this process, its tasks queued
to the broker (not run): the wall time, and the peak of memory Python allocated while answering
(``tracemalloc``), beside the answer's status. An order at the maximum is accepted (202); past it,
refused with a field-level 400 before any line is read, so its cost stays flat however many lines
the body holds (up to Django's upload limit, which answers 413 beyond).
"""

import secrets
import time
import tracemalloc

from bench import payloads
from bench.stack import COURSE, Stack
from demo.processes import ORDERS_PATH


def measure(secret, sizes=None):
    """One row per order size: lines, status, milliseconds, peak MiB allocated while answering."""
    from django.conf import settings  # pylint: disable=import-outside-toplevel
    from django.test import Client  # pylint: disable=import-outside-toplevel

    most = settings.COMMERCE_PLUGIN_MAX_LINES_PER_ORDER
    sizes = sizes or (1, 10, most, most + 1, 2_000, 10_000)
    client = Client(raise_request_exception=True)
    buyers = Stack.learners(f"s-{secrets.token_hex(2)}", len(sizes))
    rows = []
    for size, buyer in zip(sizes, buyers, strict=True):
        payload = payloads.order(f"S-{secrets.token_hex(4)}", buyer.username)
        payload["lines"] = [{"line_id": str(n), "course_id": COURSE, "mode": "verified"} for n in range(1, size + 1)]
        payload["total"] = f"{49 * size}.00"
        body, headers = payloads.signed(secret, payload)
        tracemalloc.start()
        started = time.perf_counter()
        response = client.post(
            ORDERS_PATH,
            body,
            content_type="application/json",
            HTTP_X_COMMERCE_SIGNATURE=headers["X-Commerce-Signature"],
        )
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        row = {
            "lines": size,
            "body_kib": round(len(body) / 1024, 1),
            "status": response.status_code,
            "ms": round(elapsed * 1000, 1),
            "peak_mib": round(peak / 2**20, 2),
        }
        rows.append(row)
        print(
            f"  order of {size:>6} lines ({row['body_kib']:>7} KiB): {row['status']} in {row['ms']:>8} ms, "
            f"peak {row['peak_mib']:>6} MiB allocated",
            flush=True,
        )
    return {"max_lines": most, "rows": rows}
