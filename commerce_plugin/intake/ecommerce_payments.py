"""
Finding the Stripe payment of an order ecommerce took through Stripe, so refunding its seat here goes
back to that payment like any other Stripe refund (:mod:`commerce_plugin.core.refunds`).

ecommerce's order API names the payment processor (``payment_processor: "stripe"``) but not the
payment. Its Stripe processor created each PaymentIntent with ``metadata.order_number`` set to the
order number (and charges before PaymentIntents the same), so the payment is found with Stripe's
search API in the account ``COMMERCE_PLUGIN_STRIPE_API_KEY`` names: it must be the account
ecommerce used. Only a succeeded payment counts.
"""

from django.conf import settings

from commerce_plugin.core import stripe_client

__all__ = ["StripeLookupFailed", "stripe_lookup"]


class StripeLookupFailed(Exception):
    """Stripe could not be searched (down, refused the key, or search is not available to the account)."""


def stripe_lookup():
    """``find(order_number) -> payment id or None``, or ``None`` when no Stripe account is configured."""
    if not getattr(settings, "COMMERCE_PLUGIN_STRIPE_API_KEY", None):
        return None
    client = stripe_client.get_client()

    def find(order_number):
        quoted = order_number.replace("\\", "\\\\").replace("'", "\\'")
        query = {"query": f"metadata['order_number']:'{quoted}'", "limit": 10}
        try:
            for resource in (client.v1.payment_intents, client.v1.charges):
                found = [item.id for item in resource.search(params=query).data if item.status == "succeeded"]
                if found:
                    return found[0]
        except stripe_client.StripeError as exc:
            raise StripeLookupFailed(
                f"Stripe could not be searched for order {order_number}'s payment ({stripe_client.describe(exc)})"
            ) from None
        return None

    return find
