"""
Recorded Stripe answers for what localstripe does not implement (Checkout Sessions), served to the
real ``stripe`` library through its HTTP client interface. A plain module (no pytest fixtures), so
the in-LMS suite uses the same recorder as tests/payments.
"""

import copy
import itertools
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from stripe._http_client import HTTPClient

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "stripe"


class RecordingStripe(HTTPClient):
    """
    The stripe library's HTTP client interface, answering from recorded Stripe responses.

    Checkout Sessions: the documented object (tests/fixtures/stripe/checkout_session.json) with the
    request's own values, and Stripe's idempotency semantics (a repeated key returns the first
    answer); a created session can be retrieved (``GET /v1/checkout/sessions/<id>``) as
    :attr:`sessions` holds it, which a test may change as Stripe would (paid, discounted, taxed).
    Every request is recorded: method, path, form params, idempotency key.
    """

    name = "recording"

    def __init__(self, id_prefix="cs_test_recorded"):
        super().__init__()
        self.id_prefix = id_prefix
        self.requests = []
        self._replays = {}
        self._ids = itertools.count(1)
        self.sessions = {}
        self.template = json.loads((FIXTURES / "checkout_session.json").read_text())

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        params = dict(parse_qsl(post_data or "", keep_blank_values=True))
        key = (headers or {}).get("Idempotency-Key")
        self.requests.append({"method": method, "path": urlsplit(url).path, "params": params, "idempotency_key": key})
        if key in self._replays:
            return self._replays[key]
        path = urlsplit(url).path
        if method == "post" and path == "/v1/checkout/sessions":
            answer = (json.dumps(self._session(params)), 200, {"request-id": f"req_{next(self._ids)}"})
        elif method == "get" and path.rpartition("/")[2] in self.sessions:
            return json.dumps(self.sessions[path.rpartition("/")[2]]), 200, {"request-id": f"req_{next(self._ids)}"}
        else:
            error = {"error": {"type": "invalid_request_error", "message": f"Unrecorded request {method} {url}"}}
            answer = (json.dumps(error), 404, {})
        if key:
            self._replays[key] = answer
        return answer

    def _session(self, params):
        session = copy.deepcopy(self.template)
        session["id"] = f"{self.id_prefix}{next(self._ids):04d}"
        session["url"] = f"https://checkout.stripe.com/c/pay/{session['id']}"
        items = range(sum(1 for name in params if name.endswith("[price_data][unit_amount]")))
        session["amount_subtotal"] = session["amount_total"] = sum(
            int(params[f"line_items[{i}][price_data][unit_amount]"]) * int(params.get(f"line_items[{i}][quantity]", 1))
            for i in items
        )
        session["currency"] = params["line_items[0][price_data][currency]"]
        session["client_reference_id"] = params.get("client_reference_id")
        session["customer_email"] = params.get("customer_email")
        session["metadata"] = {k[len("metadata[") : -1]: v for k, v in params.items() if k.startswith("metadata[")}
        session["success_url"] = params["success_url"]
        session["cancel_url"] = params["cancel_url"]
        self.sessions[session["id"]] = session
        return session

    def close(self):
        pass

    def sessions_created(self):
        return [r for r in self.requests if r["path"] == "/v1/checkout/sessions"]
