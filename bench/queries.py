"""
Database queries per accepted order and per fulfilled line, counted in-process with Django's
``CaptureQueriesContext``, as the past grows: 10 existing orders, 10,000, then 10,000 with 200
stores, 2,000 products and 200 more course runs. A count that grows with any of them is a scan or an
N+1 that a busy LMS would feel.

Acceptance is the whole request through Django's test ``Client`` (signature check, validation,
storage, the ``order.placed`` receiver queueing the tasks to the broker, the answer). A line is the
Celery task itself, ``fulfill_line.apply()``, run in this process. Counts are in the steady state,
with the course modes that validation reads already cached (a cold cache adds one query per course
run, once a minute). Each scenario is sampled three times, each time new learners buying a
one-line order (a course run and mode, as the acceptance figures send) and a two-line order (a
course run line and a SKU line).
"""

import secrets

from bench import payloads
from bench.stack import COURSE, STORE
from demo.processes import ORDERS_PATH

SAMPLES = 3
SCENARIOS = (("10 orders, 1 store", 10, False), ("10,000 orders, 1 store", 10_000, False))
MANY = ("10,000 orders, 200 stores, 2,190 products", 10_000, True)


def measure(secret):
    """One row per scenario: queries per accepted order and per fulfilled line (max over samples)."""
    rows = []
    for label, existing, many in (*SCENARIOS, MANY):
        if many:
            _many_stores()
        _grow_orders(existing)
        rows.append({"scenario": label, "existing_orders": existing, **_sample(secret)})
        row = rows[-1]
        print(
            f"  queries [{label}]: {row['per_order_1_line']} / {row['per_order_2_lines']} per 1-/2-line order, "
            f"{row['per_line']} per line",
            flush=True,
        )
    return rows


def _sample(secret):
    from django.db import connection  # pylint: disable=import-outside-toplevel
    from django.test import Client  # pylint: disable=import-outside-toplevel
    from django.test.utils import CaptureQueriesContext  # pylint: disable=import-outside-toplevel

    from bench.stack import Stack  # pylint: disable=import-outside-toplevel
    from commerce_plugin.core.tasks import fulfill_line  # pylint: disable=import-outside-toplevel
    from commerce_plugin.models import OrderLine  # pylint: disable=import-outside-toplevel

    client = Client(raise_request_exception=True)
    counts = {"per_order_1_line": [], "per_order_2_lines": [], "per_line": []}
    statements = {}
    buyers = Stack.learners(f"q-{secrets.token_hex(2)}", SAMPLES * 2 + 1)
    # Steady state: the course modes an order is validated against are cached (60 s by default);
    # one order first warms that cache, as the traffic before it would have.
    body, headers = payloads.signed(secret, payloads.order(f"Q-{secrets.token_hex(4)}", buyers.pop().username, True))
    client.post(
        ORDERS_PATH, body, content_type="application/json", HTTP_X_COMMERCE_SIGNATURE=headers["X-Commerce-Signature"]
    )
    for one, two in zip(buyers[::2], buyers[1::2], strict=True):
        for buyer, with_sku, key in ((one, False, "per_order_1_line"), (two, True, "per_order_2_lines")):
            number = f"Q-{secrets.token_hex(4)}"
            body, headers = payloads.signed(secret, payloads.order(number, buyer.username, with_sku=with_sku))
            with CaptureQueriesContext(connection) as accepted:
                response = client.post(
                    ORDERS_PATH,
                    body,
                    content_type="application/json",
                    HTTP_X_COMMERCE_SIGNATURE=headers["X-Commerce-Signature"],
                )
            if response.status_code != 202:
                raise RuntimeError(f"order {number} answered {response.status_code}: {response.content[:300]!r}")
            counts[key].append(len(accepted))
            statements[key] = [query["sql"][:160] for query in accepted.captured_queries]
            for pk in OrderLine.objects.filter(order__order_number=number).values_list("pk", flat=True):
                with CaptureQueriesContext(connection) as fulfilled:
                    status = fulfill_line.apply(args=(pk,)).get()
                if status != "fulfilled":
                    raise RuntimeError(f"line {pk} of {number} ended {status}")
                counts["per_line"].append(len(fulfilled))
                statements["per_line"] = [query["sql"][:160] for query in fulfilled.captured_queries]
    return {
        **{key: max(values) for key, values in counts.items()},
        "samples": counts,
        "statements": statements,
    }


def _grow_orders(target):
    """Bulk-insert fulfilled one-line orders in the bench store until there are ``target`` orders."""
    from commerce_plugin.models import Order, OrderLine, Store  # pylint: disable=import-outside-toplevel

    missing = target - Order.objects.count()
    if missing <= 0:
        return
    store = Store.objects.get(slug=STORE)
    prefix = f"P-{secrets.token_hex(3)}-"
    for start in range(0, missing, 1000):
        numbers = [f"{prefix}{n}" for n in range(start, min(missing, start + 1000))]
        Order.objects.bulk_create(
            Order(store=store, order_number=number, email=f"{number}@example.com", fingerprint="0" * 64)
            for number in numbers
        )
        pks = Order.objects.filter(store=store, order_number__in=numbers).values_list("pk", flat=True)
        OrderLine.objects.bulk_create(
            OrderLine(order_id=pk, line_id="1", course_id=COURSE, mode="verified", status="fulfilled") for pk in pks
        )


def _many_stores(stores=199, products=10, courses=200):
    """More stores (each with products), more products in the bench store, more course runs."""
    from commerce_plugin.lms.local.models import (  # pylint: disable=import-outside-toplevel
        LocalCourse,
        LocalCourseMode,
    )
    from commerce_plugin.models import Product, ProductSeat, Store  # pylint: disable=import-outside-toplevel

    tag = secrets.token_hex(2)
    course_ids = [f"course-v1:Many{tag}+C{n}+2026" for n in range(courses)]
    LocalCourse.objects.bulk_create(LocalCourse(course_id=course_id) for course_id in course_ids)
    course_pks = LocalCourse.objects.filter(course_id__in=course_ids).values_list("pk", flat=True)
    LocalCourseMode.objects.bulk_create(
        LocalCourseMode(course_id=pk, mode_slug=slug, price=price)
        for pk in course_pks
        for slug, price in (("audit", 0), ("verified", 49))
    )
    Store.objects.bulk_create(
        Store(slug=f"many-{tag}-{n}", name=f"Store {n}", secret=secrets.token_urlsafe(16)) for n in range(stores)
    )
    owners = list(Store.objects.filter(slug__startswith=f"many-{tag}-")) + [Store.objects.get(slug=STORE)]
    Product.objects.bulk_create(
        Product(store=store, sku=f"M{tag}-{n}")
        for store in owners
        for n in range(products * (20 if store.slug == STORE else 1))
    )
    seats = Product.objects.filter(sku__startswith=f"M{tag}-").values_list("pk", flat=True)
    ProductSeat.objects.bulk_create(
        ProductSeat(product_id=pk, course_id=course_ids[pk % courses], mode="verified", position=0) for pk in seats
    )
