"""
The learner's side: their orders and receipts, served by the LMS at the paths the ecommerce service
used, so the LMS's own links and frontend-app-ecommerce's order-history page land here.

* ``api``: ``GET /api/v2/orders/``, the order history in ecommerce's shape (``shapes``);
* ``pages``: ``GET /checkout/receipt/?order_number=`` and ``GET /commerce-plugin/orders/``.

Orders are read through :mod:`commerce_plugin.core.history` only.
"""
