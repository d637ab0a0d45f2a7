#!/usr/bin/env python
"""
Where the time of one accepted order and one fulfilled line goes: ``python bench/profile.py``
(``make bench`` does not run it). pyinstrument samples ``BENCH_PROFILE_ORDERS`` (50) signed POSTs
through Django's test Client and the fulfillment of their lines, in-process, on the same MariaDB +
Redis set-up as ``make bench``, and prints both call trees.
"""

import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import payloads  # noqa: E402
from bench.stack import Stack  # noqa: E402
from demo.processes import ORDERS_PATH  # noqa: E402


def main():
    from pyinstrument import Profiler  # pylint: disable=import-outside-toplevel

    count = int(os.environ.get("BENCH_PROFILE_ORDERS", "50"))
    stack = Stack()
    try:
        stack.open()
        from django.test import Client  # pylint: disable=import-outside-toplevel

        from commerce_plugin.core.tasks import fulfill_line  # pylint: disable=import-outside-toplevel
        from commerce_plugin.models import OrderLine  # pylint: disable=import-outside-toplevel

        client, prefix = Client(raise_request_exception=True), f"PR-{secrets.token_hex(3)}-"
        buyers = stack.learners(prefix, count + 1)
        requests = [
            payloads.signed(stack.secret, payloads.order(f"{prefix}{n}", b.username)) for n, b in enumerate(buyers)
        ]
        post = lambda body, headers: client.post(  # noqa: E731
            ORDERS_PATH,
            body,
            content_type="application/json",
            HTTP_X_COMMERCE_SIGNATURE=headers["X-Commerce-Signature"],
        )
        post(*requests.pop())  # warm-up: imports, connections
        with Profiler(interval=0.0005) as accepted:
            for body, headers in requests:
                post(body, headers)
        pks = list(OrderLine.objects.filter(order__order_number__startswith=prefix).values_list("pk", flat=True))
        fulfill_line.apply(args=(pks.pop(),))
        with Profiler(interval=0.0005) as fulfilled:
            for pk in pks:
                fulfill_line.apply(args=(pk,))
        print(f"=== {count} accepted orders ===")
        print(accepted.output_text(unicode=True, show_all=False))
        print(f"=== {len(pks)} fulfilled lines ===")
        print(fulfilled.output_text(unicode=True, show_all=False))
    finally:
        stack.close()


if __name__ == "__main__":
    sys.exit(main())
