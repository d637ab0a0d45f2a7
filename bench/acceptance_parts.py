"""
What stands between the plugin's acceptance and the essential order: each part of accepting an
order switched off in turn, in this process, and what that saves per request.

Requests go through Django's WSGI handler in this process (the settings and middleware gunicorn
serves, without the network), each a new signed one-line order, with the tasks published to a broker
database nothing consumes. The variants take turns request by request, in a new order each cycle,
so a machine that gets busier weighs on all of them alike; a variant's figure is its mean CPU per
request, with its standard error. A part switched off keeps what the essential order does too:
without the event the line's task is still published, without validation the order is still built
and stored.

The parts the contract keeps (issue 12: "keep every check the contract requires") are the buyer's
account check (email and username naming two accounts get a 400), the ``order.placed`` event and
the filter pipeline (the plugin's architecture: operators' filters, the event bus). Their sum over
the essential order is a lower bound of the acceptance ratio, whatever else is made cheaper.
Field-level validation is kept too, but could in principle cost less than DRF's serializers do.
"""

import contextlib
import io
import logging
import random
import secrets
import statistics
import sys
import time
from datetime import datetime
from unittest import mock

from bench import payloads
from bench.acceptance import BUYER, ESSENTIAL_PATH
from demo.processes import ORDERS_PATH

KEPT = ("account_check", "event", "filter")


def measure(secret, requests=1000):
    """CPU per request of the essential order, the plugin, and the plugin without each part."""
    from django.core.handlers.wsgi import WSGIHandler  # pylint: disable=import-outside-toplevel

    handler, run = WSGIHandler(), secrets.token_hex(3)
    variants = _variants()
    counter = iter(range(10**9))

    def post(path, switched_off):
        payload = payloads.order(f"P{run}-{next(counter)}", BUYER)
        body, headers = payloads.signed(secret, payload)
        with switched_off():
            status = _call(handler, path, body, headers["X-Commerce-Signature"])
        if status not in (201, 202):
            raise RuntimeError(f"{path} answered {status} during the acceptance breakdown")

    for _, path, switched_off in variants:  # warm-up: imports, connections, caches
        for _ in range(20):
            post(path, switched_off)
    # Variant by variant, request by request, in a new order each cycle: a machine whose speed drifts
    # (a neighbour, the clock) weighs on every variant alike, and none always follows another.
    samples = {name: [] for name, _, _ in variants}
    shuffle = random.Random(0).shuffle
    for _ in range(requests):
        shuffle(variants)
        for name, path, switched_off in variants:
            before = time.process_time()
            post(path, switched_off)
            samples[name].append((time.process_time() - before) * 1000)
    # Switching parts off (mock.patch) costs CPU of its own: measured alone and taken off each variant.
    switching = {name: _switching_cost(switched_off) for name, _, switched_off in variants}
    return summarize(
        {name: statistics.fmean(values) - switching[name] for name, values in samples.items()},
        {name: statistics.stdev(values) / len(values) ** 0.5 for name, values in samples.items()},
        requests,
    )


def _switching_cost(switched_off, times=2000):
    """CPU ms of entering and leaving ``switched_off()`` once, with no request inside."""
    before = time.process_time()
    for _ in range(times):
        with switched_off():
            pass
    return (time.process_time() - before) * 1000 / times


def summarize(cpu_ms, error_ms, requests):
    """
    Each part's saving in ms and in essential orders, with its standard error (the spread of single
    requests' CPU, over the number measured), and the lower bound of the ratio.
    """
    essential, plugin = cpu_ms["essential"], cpu_ms["plugin"]

    def saving(without, *also):
        value = plugin - cpu_ms[without] - sum(cpu_ms["plugin"] - cpu_ms[other] for other in also)
        spread = (error_ms["plugin"] ** 2 + error_ms[without] ** 2 + sum(error_ms[o] ** 2 for o in also)) ** 0.5
        return value, spread

    names = [name[len("without_") :] for name in cpu_ms if name.startswith("without_") and name != "without_all"]
    parts = {name: saving(f"without_{name}") for name in names if name != "validation"}
    # Validation switched off takes the account check with it (the check is part of validating).
    parts["field_validation"] = saving("without_validation", "without_account_check")
    rest = cpu_ms["without_all"] - essential
    kept = sum(parts[name][0] for name in KEPT)
    return {
        "requests_per_variant": requests,
        "cpu_ms": {name: round(value, 3) for name, value in cpu_ms.items()},
        "standard_error_ms": {name: round(value, 3) for name, value in error_ms.items()},
        "plugin_over_essential": round(plugin / essential, 3),
        "parts_ms": {name: round(value, 3) for name, (value, _) in parts.items()},
        "parts_error_ms": {name: round(spread, 3) for name, (_, spread) in parts.items()},
        "parts_over_essential": {name: round(value / essential, 3) for name, (value, _) in parts.items()},
        # What is left with every part off: DRF's view (three authenticators, content negotiation),
        # the order's fingerprint and conversions, the answer's shape.
        "rest_ms": round(rest, 3),
        "rest_over_essential": round(rest / essential, 3),
        "kept_parts": list(KEPT),
        "lower_bound": round((essential + kept) / essential, 3),
        # As if validation and logging cost nothing: the kept parts and what is left with all off.
        "bound_with_free_validation": round((essential + kept + rest) / essential, 3),
    }


def _variants():
    from commerce_plugin.api.v1 import serializers, views  # pylint: disable=import-outside-toplevel
    from commerce_plugin.core import enqueue, orders  # pylint: disable=import-outside-toplevel
    from commerce_plugin.filters import OrderFulfillmentRequested  # pylint: disable=import-outside-toplevel

    def queue_directly(order, rows):  # the receiver's work, without the event around it
        for row in rows:
            enqueue.fulfill_line(row.pk)

    parts = {
        "account_check": lambda: mock.patch.object(serializers, "_names_two_accounts", return_value=False),
        "event": lambda: mock.patch.object(orders, "_announce_placed", queue_directly),
        "filter": lambda: mock.patch.object(OrderFulfillmentRequested, "run_filter", lambda order: order),
        "validation": lambda: mock.patch.object(views, "OrderSerializer", _Unvalidated),
        "logging": _logging_off,
    }

    def without(*names):
        @contextlib.contextmanager
        def switched_off():
            with contextlib.ExitStack() as stack:
                for name in names:
                    stack.enter_context(parts[name]())
                yield

        return switched_off

    return [
        ("essential", ESSENTIAL_PATH, without()),
        ("plugin", ORDERS_PATH, without()),
        *((f"without_{name}", ORDERS_PATH, without(name)) for name in parts),
        ("without_all", ORDERS_PATH, without(*parts)),
    ]


@contextlib.contextmanager
def _logging_off():
    # The plugin's own loggers only: ``logging.disable`` would clear every logger's cache each time.
    loggers = [
        logger
        for name, logger in logging.root.manager.loggerDict.items()
        if name.startswith("commerce_plugin") and isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger in loggers:
            logger.disabled = False


class _Unvalidated:
    """The order built from the request as sent, with the signing store: no field checked."""

    def __init__(self, data, context):
        self.data, self.store = data, context["store"]
        self.validated_data = {"store": self.store}

    def is_valid(self, raise_exception=False):
        return True

    def amounts(self):
        """The order's discount and tax as sent (``OrderSerializer.amounts``), unchecked."""
        return {name: str(self.data[name]) for name in ("discount", "tax") if self.data.get(name) is not None}

    def to_order(self):
        from commerce_plugin.data import OrderData, OrderLineData  # pylint: disable=import-outside-toplevel

        data = self.data
        placed = data.get("date_placed")
        return OrderData(
            store=self.store.slug,
            order_number=data["order_number"],
            lines=[OrderLineData(line["line_id"], line["course_id"], line["mode"]) for line in data["lines"]],
            email=data.get("email"),
            username=data.get("username"),
            date_placed=datetime.fromisoformat(placed) if placed else None,
            currency=data.get("currency"),
            total=data.get("total"),
        )


def _call(handler, path, body, signature):
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_X_COMMERCE_SIGNATURE": signature,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    answered = []
    response = handler(environ, lambda status, headers, exc_info=None: answered.append(int(status.split()[0])))
    b"".join(response)
    response.close()
    return answered[0]
