"""
The core: what happens to an order once it is in. ``orders`` is the public Python surface (accept,
revoke, status); fulfilment enrolls through the LMS door, refunds give money back through Stripe, and
the Celery tasks (with their enqueueing) run it on the LMS's workers.
"""
