"""
A fake ecommerce service for the import's tests, built from ecommerce's documented order shape (its
``OrderSerializer``, ``LineSerializer`` and ``ProductSerializer`` in
ecommerce/extensions/api/serializers.py) and its order list's behaviour
(ecommerce/extensions/api/v2/views/orders.py): JWT authentication, staff see every order and anyone
else only their own, DRF page-number pages (``page``, ``page_size``, ``count``/``next``/
``previous``/``results``, 404 past the end), newest order first.

One ``http.server`` on a loopback port, in a thread, serves ecommerce's ``/api/v2/orders/`` and, as
the LMS does, ``/oauth2/access_token`` (client credentials, ``token_type=jwt``). It can be told to
answer the next requests with a 429 and ``Retry-After`` or a 5xx (``fail``), to fail one page
until told otherwise (``broken_page``), and to write ``next`` links on another base URL (as behind a
proxy). It records every request.
"""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.loopback import LoopbackServer

CLIENT_ID = "ecommerce-backend-service-key"
CLIENT_SECRET = "ecommerce-backend-service-secret-0123456789"
WORKER = "ecommerce_worker"


def jwt_for(username, administrator=True):
    """A JWT as the LMS issues one (header, claims, signature); the fake checks only that it issued it."""

    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    claims = {"preferred_username": username, "administrator": administrator, "token_type": "JWT"}
    return f"{part({'alg': 'RS512'})}.{part(claims)}.c2lnbmF0dXJl-{username}"


def seat(course_key, mode="verified", id_verification_required=True):
    """A seat product as ecommerce's ProductSerializer shows it (``certificate_type`` empty for audit)."""
    values = [("course_key", course_key), ("id_verification_required", id_verification_required)]
    if mode != "audit":
        values.insert(0, ("certificate_type", mode))
    suffix = f" with {mode} certificate" if mode != "audit" else ""
    return {
        "id": 7,
        "url": "http://ecommerce.example.com/api/v2/products/7/",
        "structure": "child",
        "product_class": "Seat",
        "title": f"Seat in {course_key}{suffix}",
        "price": "49.00",
        "expires": None,
        "attribute_values": [{"name": code, "code": code, "value": value} for code, value in values],
        "is_available_to_buy": True,
        "is_enrollment_code_product": False,
        "stockrecords": [
            {"id": 7, "product": 7, "partner": 1, "partner_sku": "8CF08E5", "price_currency": "USD", "price": "49.00"}
        ],
    }


def line(product, price="49.00", quantity=1):
    return {
        "title": product["title"],
        "quantity": quantity,
        "course_organization": "Org",
        "description": product["title"],
        "status": "Complete",
        "line_price_excl_tax": price,
        "unit_price_excl_tax": price,
        "product": product,
    }


def order(
    number, username="ada", email="ada@example.com", lines=None, status="Complete", processor="cybersource", **more
):
    """An order as ecommerce's OrderSerializer shows it: a seat in PY101 paid through CyberSource unless told."""
    lines = lines or [line(seat("course-v1:Org+PY101+2026"))]
    total = more.pop("total", f"{sum(float(item['line_price_excl_tax']) for item in lines):.2f}")
    body = {
        "basket_discounts": [],
        "billing_address": {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "line1": "1 Main St",
            "line2": "",
            "postcode": "02139",
            "state": "MA",
            "country": "US",
            "city": "Cambridge",
        },
        "contains_credit_seat": False,
        "currency": "USD",
        "date_placed": "2023-05-04T10:11:12Z",
        "dashboard_url": "http://lms.example.com/dashboard",
        "discount": "0",
        "enable_hoist_order_history": False,
        "enterprise_learner_portal_url": None,
        "lines": lines,
        "number": number,
        "order_product_ids": "7",
        "payment_processor": processor,
        "payment_method": "Visa 4242",
        "product_tracking": None,
        "status": status,
        "total_before_discounts_incl_tax": total,
        "total_excl_tax": total,
        "user": {"email": email, "username": username},
        "vouchers": [],
    }
    body.update(more)
    return body


class FakeEcommerce(LoopbackServer):
    """The server and its knobs; ``orders`` newest first, as ecommerce lists them."""

    def __init__(self, orders=()):
        self.orders = list(orders)
        self.requests = []  # {"method", "path", "query" (one value per name), "authorization", "form"}
        self.issued = {}  # token -> (username, administrator)
        self.worker_is_staff = True
        self.failures = []  # (status, headers) answered to the next order-list requests, in turn
        self.broken_page = None  # (page, status): that page answers status until set back to None
        self.next_base = None  # write next links on this base URL instead of the request's
        self._lock = threading.Lock()
        super().__init__(self._handler())
        self.token_url = f"{self.url}/oauth2/access_token"

    def fail(self, status, times=1, retry_after=None):
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.failures += [(status, headers)] * times

    def pages_read(self):
        return [int(r["query"].get("page", 1)) for r in self.requests if r["path"] == "/api/v2/orders/"]

    def _token(self, form):
        if form.get("grant_type") != "client_credentials" or form.get("token_type") != "jwt":
            return 400, {}, {"error": "unsupported_grant_type"}
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {}, {"error": "invalid_client"}
        token = jwt_for(WORKER, self.worker_is_staff)
        self.issued[token] = (WORKER, self.worker_is_staff)
        return 200, {}, {"access_token": token, "token_type": "JWT", "expires_in": 36000, "scope": "read write"}

    def _orders(self, query, authorization, host):
        scheme, _, token = (authorization or "").partition(" ")
        if scheme != "JWT" or token not in self.issued:
            return 401, {}, {"detail": "Authentication credentials were not provided."}
        if self.failures:
            status, headers = self.failures.pop(0)
            return status, headers, {"detail": "Request was throttled."} if status == 429 else {"detail": "error"}
        username, staff = self.issued[token]
        page, size = int(query.get("page", 1)), min(int(query.get("page_size", 20)), 10000)
        if self.broken_page and self.broken_page[0] == page:
            return self.broken_page[1], {}, {"detail": "Server Error (500)"}
        visible = [o for o in self.orders if staff or o["user"]["username"] == username]
        if "username" in query:
            visible = [o for o in visible if o["user"]["username"] == query["username"]]
        start = (page - 1) * size
        if page < 1 or (start >= len(visible) and page != 1):
            return 404, {}, {"detail": "Invalid page."}
        base = self.next_base or f"http://{host}"
        link = f"{base}/api/v2/orders/?page={{}}&page_size={size}"
        return (
            200,
            {},
            {
                "count": len(visible),
                "next": link.format(page + 1) if start + size < len(visible) else None,
                "previous": link.format(page - 1) if page > 1 else None,
                "results": visible[start : start + size],
            },
        )

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status, headers, body):
                payload = json.dumps(body).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self):  # noqa: N802 (the standard library's name)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with fake._lock:
                    fake.requests.append({"method": "POST", "path": urlsplit(self.path).path, "form": form})
                    answer = fake._token(form) if urlsplit(self.path).path == "/oauth2/access_token" else (404, {}, {})
                self._answer(*answer)

            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                authorization = self.headers.get("Authorization")
                with fake._lock:
                    fake.requests.append(
                        {"method": "GET", "path": parts.path, "query": query, "authorization": authorization}
                    )
                    if parts.path == "/api/v2/orders/":
                        answer = fake._orders(query, authorization, self.headers.get("Host"))
                    else:
                        answer = (404, {}, {"detail": "Not found."})
                self._answer(*answer)

            def log_message(self, *args):  # the access log would show tokens
                pass

        return Handler
