"""
The Coordinator's architecture, as its users run it, for ``make bench`` to measure beside the plugin:
a separate Django service (its own settings, database, gunicorn, Celery worker and Redis database)
that receives the store's order as the Coordinator's fulfillment view does (a JWT POST with its
fields), stores it, relays it through a signal to a task, and the task enrolls the learner by calling
the LMS's enrollment REST API (``POST /api/enrollment/v1/enrollment``) over HTTP with a JWT.

Only what an order's path through the Coordinator costs is here: no Commercetools, no payment
service, no fulfillment-completed callback.
"""
