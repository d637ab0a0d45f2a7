"""
The operator's screens: configure stores, SKUs and subscription plans, look at orders and
subscriptions, and re-drive or revoke them.

Orders and lines are read-only here; every change of a line's status goes through
:mod:`commerce_plugin.core.orders`, and configuration through :mod:`commerce_plugin.core.catalog`.

Who sees what: a store's signing secret and API credentials are write-only for everyone. An
order's raw request (the store's full payload, which may hold more of the buyer's details) and the
retry/revoke actions are for superusers and holders of ``commerce_plugin.fulfill_order`` — the
permission that already lets a caller send, read and revoke orders through the API, so the admin
grants nothing the API would not.
"""

# Importing each module registers its ModelAdmins with the admin site (Django's admin autodiscovery
# imports this package). Orders first: the payments module adds its refunds inline to the order page.
from commerce_plugin.admin import orders  # noqa: F401  isort: skip
from commerce_plugin.admin import codes, dashboard, deliveries, payments, stores, subscriptions  # noqa: F401  isort: skip
