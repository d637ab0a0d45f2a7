"""
Local stand-ins for the stores' REST APIs, as their documentation describes them.

Each is an ``http.server`` on a random loopback port, in a thread, serving a list of orders:
WooCommerce's ``/wp-json/wc/v3/orders`` (HTTP Basic auth, ``status``/``modified_after`` filters,
``per_page``/``page`` pages with ``X-WP-Total``/``X-WP-TotalPages`` and ``Link``) and Shopify's
``/admin/api/<version>/orders.json`` (``X-Shopify-Access-Token``, ``financial_status``/``status``/
``updated_at_min`` filters, cursor pages: ``Link: <…page_info=…>; rel="next"``, where a ``page_info``
request may carry ``limit`` and nothing else). Both can be told to answer the next requests with
429 + ``Retry-After`` (``throttle``), 503 (``unavailable``) or a 302 to the same path and query on
another base URL (``redirect_to``: one base per request), and record every request.

Stripe's ``/v1/events`` is :class:`FakeStripeEvents`, an HTTP client of the ``stripe`` library
(localstripe lists events too, but records only ``payment_intent.*`` ones).
"""

import base64
import json
import math
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import override_settings
from stripe._http_client import HTTPClient

from commerce_plugin.intake import backfill
from tests.loopback import LoopbackServer


def http_session(retries=5, backoff=0.05):
    """The session a backfill run gives adapters (``commerce_plugin.intake.backfill.http_session``), test-sized."""
    with override_settings(
        COMMERCE_PLUGIN_BACKFILL_HTTP_RETRIES=retries, COMMERCE_PLUGIN_BACKFILL_HTTP_BACKOFF_SECONDS=backoff
    ):
        return backfill.http_session()


class FakeAPI(LoopbackServer):
    """The server and its knobs; subclasses answer ``GET`` in :meth:`answer`."""

    retry_after = "1"
    throttled_body = {"message": "Too many requests."}

    def __init__(self, orders=()):
        self.orders = [dict(order) for order in orders]
        self.requests = []  # {"path", "query" (one value per name), "headers" (lower-case names), "at"}
        self.throttle = 0  # answer the next N requests 429 with Retry-After
        self.unavailable = 0  # answer the next M requests 503
        self.redirect_to = []  # answer the next requests 302 to <base><the request's path and query>
        self._lock = threading.Lock()
        super().__init__(self._handler())

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802  (http.server's name)
                status, headers, body = api._respond(self)
                payload = json.dumps(body).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):  # quiet: pytest shows what matters
                pass

        return Handler

    def _respond(self, handler):
        parts = urlsplit(handler.path)
        query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self._lock:
            self.requests.append({"path": parts.path, "query": query, "headers": headers, "at": _now()})
            if self.throttle:
                self.throttle -= 1
                return 429, {"Retry-After": self.retry_after}, self.throttled_body
            if self.unavailable:
                self.unavailable -= 1
                return 503, {}, {"message": "Service unavailable."}
            if self.redirect_to:
                return 302, {"Location": self.redirect_to.pop(0) + handler.path}, {}
        return self.answer(parts.path, query, headers)

    def answer(self, path, query, headers):
        raise NotImplementedError

    def paths_and_queries(self):
        return [(r["path"], r["query"]) for r in self.requests]


def _now():
    return datetime.now(UTC)


def _parse(value):
    """An ISO 8601 time as the APIs take it; naive means UTC (WooCommerce's ``*_gmt``)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class FakeWooCommerce(FakeAPI):
    """WooCommerce REST API v3, orders only."""

    PATH = "/wp-json/wc/v3/orders"
    retry_after = "1"
    throttled_body = {"code": "woocommerce_rest_too_many_requests", "message": "Too many requests.", "data": {}}

    def __init__(self, key, secret, orders=()):
        super().__init__(orders)
        self.authorization = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()

    def answer(self, path, query, headers):
        if path != self.PATH:
            return 404, {}, {"code": "rest_no_route", "message": "No route was found.", "data": {"status": 404}}
        if headers.get("authorization") != self.authorization:
            message = "Sorry, you cannot list resources."
            return 401, {}, {"code": "woocommerce_rest_cannot_view", "message": message, "data": {"status": 401}}
        per_page, page = int(query.get("per_page", 10)), int(query.get("page", 1))
        if not 1 <= per_page <= 100:
            return 400, {}, {"code": "rest_invalid_param", "message": "Invalid parameter(s): per_page"}
        orders = self.orders
        if query.get("status", "any") != "any":
            orders = [o for o in orders if o["status"] in query["status"].split(",")]
        if "modified_after" in query:
            # Only with dates_are_gmt=true are the dates GMT; this site's local time is GMT too.
            after = _parse(query["modified_after"])
            orders = [o for o in orders if _parse(o["date_modified_gmt"]) > after]
        field = {"modified": "date_modified_gmt", "id": "id"}.get(query.get("orderby"), "date_created_gmt")
        orders = sorted(orders, key=lambda o: (o[field], o["id"]), reverse=query.get("order", "desc") == "desc")
        total, pages = len(orders), math.ceil(len(orders) / per_page)
        links = []
        if page < pages:
            links.append(f'<{self.url}{path}?{urlencode({**query, "page": page + 1})}>; rel="next"')
        if page > 1:
            links.append(f'<{self.url}{path}?{urlencode({**query, "page": page - 1})}>; rel="prev"')
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        if links:
            headers["Link"] = ", ".join(links)
        return 200, headers, orders[(page - 1) * per_page : page * per_page]


class FakeShopify(FakeAPI):
    """Shopify Admin REST API, ``orders.json`` only."""

    VERSION = "2025-01"
    PATH = f"/admin/api/{VERSION}/orders.json"
    retry_after = "2.0"  # Shopify's own form: seconds, with a fraction
    throttled_body = {"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume."}
    FILTERS = {"status", "financial_status", "updated_at_min", "limit", "fields"}
    ON_CURSOR = {"page_info", "limit", "fields"}

    def __init__(self, token, orders=()):
        super().__init__(orders)
        self.token = token

    def answer(self, path, query, headers):
        if path != self.PATH:
            return 404, {}, {"errors": "Not Found"}
        if headers.get("x-shopify-access-token") != self.token:
            return 401, {}, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
        limit = int(query.get("limit", 50))
        if not 1 <= limit <= 250:
            return 400, {}, {"errors": {"limit": "must be between 1 and 250"}}
        if "page_info" in query:
            extra = sorted(set(query) - self.ON_CURSOR)
            if extra:
                return 400, {}, {"errors": {"page_info": f"cannot be combined with {', '.join(extra)}"}}
            cursor = json.loads(base64.urlsafe_b64decode(query["page_info"]))
            filters, offset = cursor["filters"], cursor["offset"]
        else:
            unknown = sorted(set(query) - self.FILTERS)
            if unknown:
                return 400, {}, {"errors": {name: "is not a filter of orders" for name in unknown}}
            filters, offset = {k: v for k, v in query.items() if k not in ("limit", "fields")}, 0
        orders = sorted(self._filtered(filters), key=lambda o: o["id"], reverse=True)
        page = orders[offset : offset + limit]
        links = []
        if offset + limit < len(orders):
            links.append(f'<{self._cursor_url(filters, offset + limit, limit)}>; rel="next"')
        if offset:
            links.append(f'<{self._cursor_url(filters, max(offset - limit, 0), limit)}>; rel="previous"')
        headers = {"X-Shopify-Shop-Api-Call-Limit": f"{len(self.requests)}/40"}
        if links:
            headers["Link"] = ", ".join(links)
        return 200, headers, {"orders": page}

    def _filtered(self, filters):
        orders = self.orders
        status = filters.get("status", "open")
        if status == "open":
            orders = [o for o in orders if not o.get("closed_at") and not o.get("cancelled_at")]
        elif status == "closed":
            orders = [o for o in orders if o.get("closed_at")]
        elif status == "cancelled":
            orders = [o for o in orders if o.get("cancelled_at")]
        if filters.get("financial_status", "any") != "any":
            orders = [o for o in orders if o.get("financial_status") == filters["financial_status"]]
        if "updated_at_min" in filters:
            since = _parse(filters["updated_at_min"])
            orders = [o for o in orders if _parse(o["updated_at"]) >= since]
        return orders

    def _cursor_url(self, filters, offset, limit):
        page_info = base64.urlsafe_b64encode(json.dumps({"filters": filters, "offset": offset}).encode()).decode()
        return f"{self.url}{self.PATH}?{urlencode({'limit': limit, 'page_info': page_info})}"


class FakeStripeEvents(HTTPClient):
    """
    ``GET /v1/events`` as Stripe documents it, answered to the real ``stripe`` library through its
    HTTP client interface (``stripe_client.http_client``): newest first, ``type`` and ``created[gte]``
    filters, ``limit`` (at most 100) and ``starting_after`` pages with ``has_more``. The next
    ``unavailable`` requests are answered 503, the next ``throttle`` 429 (Stripe's rate limit error).
    Every request is recorded with its ``Authorization`` header.
    """

    name = "fake-stripe-events"

    def __init__(self, events=()):
        super().__init__()
        self.events = [dict(event) for event in events]
        self.requests = []
        self.unavailable = 0
        self.throttle = 0

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        self.requests.append({"method": method, "path": parts.path, "query": query, "headers": dict(headers or {})})
        if self.unavailable:
            self.unavailable -= 1
            return json.dumps({"error": {"type": "api_error", "message": "Service unavailable."}}), 503, {}
        if self.throttle:
            self.throttle -= 1
            error = {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests."}
            return json.dumps({"error": error}), 429, {}
        if (method, parts.path) != ("get", "/v1/events"):
            return json.dumps({"error": {"type": "invalid_request_error", "message": f"No {parts.path}"}}), 404, {}
        events = sorted(self.events, key=lambda event: (event["created"], event["id"]), reverse=True)
        if "type" in query:
            events = [event for event in events if event["type"] == query["type"]]
        if "created[gte]" in query:
            events = [event for event in events if event["created"] >= int(query["created[gte]"])]
        if "starting_after" in query:
            ids = [event["id"] for event in events]
            events = events[ids.index(query["starting_after"]) + 1 :]
        limit = min(int(query.get("limit", 10)), 100)
        body = {"object": "list", "url": "/v1/events", "data": events[:limit], "has_more": len(events) > limit}
        return json.dumps(body), 200, {"request-id": f"req_{len(self.requests)}"}

    def close(self):
        pass
