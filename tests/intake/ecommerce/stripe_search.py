"""
Stripe's search API for the import's payment lookup, which localstripe does not implement: recorded
answers in Stripe's ``search_result`` shape (https://docs.stripe.com/api/pagination/search), served
to the real ``stripe`` library through its HTTP client interface (:class:`tests.stripe_recording.RecordingStripe`),
and every request recorded. Refunds are answered too, for a payment localstripe cannot hold (a
charge made without a PaymentIntent).
"""

import json
from urllib.parse import parse_qsl, urlsplit

from tests.stripe_recording import RecordingStripe

SEARCHES = {"/v1/payment_intents/search": "payment_intent", "/v1/charges/search": "charge"}


class StripeSearch(RecordingStripe):
    """``payments``: ``{order number: [(object kind, id, status), ...]}``, as ecommerce's Stripe processor left them."""

    def __init__(self, payments=None):
        super().__init__()
        self.payments = payments or {}

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = urlsplit(url).path
        if method == "get" and path in SEARCHES:
            query = dict(parse_qsl(urlsplit(url).query))
            self.requests.append({"method": method, "path": path, "params": query, "idempotency_key": None})
            return json.dumps(self._search(path, query["query"])), 200, {"request-id": "req_search"}
        if method == "post" and path == "/v1/refunds":
            params = dict(parse_qsl(post_data or ""))
            self.requests.append({"method": method, "path": path, "params": params, "idempotency_key": None})
            refund = {"id": "re_recorded", "object": "refund", "amount": 4900, "currency": "usd", "status": "succeeded"}
            return json.dumps({**refund, **params}), 200, {"request-id": "req_refund"}
        return super().request(method, url, headers, post_data, _usage=_usage)

    def _search(self, path, query):
        kind = SEARCHES[path]
        number = query.split(":", 1)[1].strip("'")
        found = [
            {"id": pid, "object": kind, "status": status, "metadata": {"order_number": number}}
            for found_kind, pid, status in self.payments.get(number, [])
            if found_kind == kind
        ]
        return {"object": "search_result", "url": path, "has_more": False, "next_page": None, "data": found}

    def searches(self):
        return [(r["path"], r["params"]["query"]) for r in self.requests if r["path"] in SEARCHES]
