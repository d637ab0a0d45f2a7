"""
Every ``COMMERCE_PLUGIN_*`` default, applied by the LMS's plugin framework.

Values the operator already set (Tutor patches, the LMS YAML) are never overwritten.
"""

import copy

# The learner's order history (commerce_plugin.learner.pages), on the LMS's own host.
ORDER_HISTORY_PAGE = "/commerce-plugin/orders/"

# The LMS's enrollment-started filter, and the plugin's step on it (subscribers enroll in the paid mode).
ENROLLMENT_STARTED = "org.openedx.learning.course.enrollment.started.v1"
SUBSCRIPTION_ENROLLMENT_STEP = "commerce_plugin.core.subscription_enrollment.GrantSubscriberMode"

DEFAULTS = {
    # Which door to the LMS: "platform" (the real LMS, in-process) or "local" (the stand-in).
    "COMMERCE_PLUGIN_LMS_BACKEND": "platform",
    # Celery queue for fulfillment tasks; None uses the LMS's default queue.
    "COMMERCE_PLUGIN_CELERY_QUEUE": None,
    # Transient errors are retried with exponential backoff and jitter, this many times at most.
    "COMMERCE_PLUGIN_MAX_RETRIES": 8,
    "COMMERCE_PLUGIN_RETRY_BACKOFF_SECONDS": 2,
    "COMMERCE_PLUGIN_RETRY_BACKOFF_MAX_SECONDS": 600,
    # Course modes read to validate an order are cached this long (0: ask the LMS every time).
    "COMMERCE_PLUGIN_COURSE_MODES_CACHE_SECONDS": 60,
    # Store-signed requests older (or newer) than this many seconds are refused.
    "COMMERCE_PLUGIN_SIGNATURE_TOLERANCE_SECONDS": 300,
    # Deprecated v1 store signatures (timestamp and body only) are still taken, for creating orders
    # only, while this is True; reads and revocations need v2. Health and the dashboard name the
    # stores still using v1. Set False once every store signs v2.
    "COMMERCE_PLUGIN_ACCEPT_V1_SIGNATURES": True,
    # Most lines one order may have, as sent and after a SKU expands into its seats (API v1 answers a
    # field-level 400 beyond it, a webhook delivery is recorded as unmappable).
    "COMMERCE_PLUGIN_MAX_LINES_PER_ORDER": 100,
    # The sweeper re-queues lines still queued this many seconds after their last change.
    "COMMERCE_PLUGIN_SWEEP_AFTER_SECONDS": 600,
    # Run the sweeper from Celery beat every this many seconds (None: only the management command).
    "COMMERCE_PLUGIN_SWEEP_INTERVAL_SECONDS": None,
    # Under a backlog a fulfillment task also claims up to this many lines minus its own and works
    # them on one connection (1: one line per task). Needs SELECT ... FOR UPDATE SKIP LOCKED (MariaDB
    # 10.6+, MySQL 8, PostgreSQL); elsewhere each line is fulfilled by its own task.
    "COMMERCE_PLUGIN_FULFILL_BATCH_SIZE": 20,
    # A queued line a task counted an attempt at less than this many seconds ago is held by it; other
    # tasks leave it alone. Longer than a batch takes, shorter than the broker's visibility timeout
    # (so a killed worker's redelivered task finds its batch free again) and than the sweep age.
    "COMMERCE_PLUGIN_FULFILL_CLAIM_SECONDS": 60,
    # A task looks for a backlog to claim only when its own line waited at least this many seconds
    # between acceptance and its attempt (or it is a retry or a redelivery): with a short queue each
    # line's own task is quickest, and the claim query would find nothing.
    "COMMERCE_PLUGIN_FULFILL_BATCH_AFTER_SECONDS": 1.0,
    # Webhook requests larger than this many bytes are refused (413) before their body is read; real
    # store payloads (an order with dozens of lines) stay well under 64 KiB.
    "COMMERCE_PLUGIN_WEBHOOK_MAX_BYTES": 256 * 1024,
    # Webhook deliveries older than this many days are deleted by commerce_purge (None: kept forever).
    # Never deleted: deliveries still awaiting re-drive (failed, invalid, unfinished) and refunds held
    # for an order that has not arrived; an order keeps its own copy of the request that made it.
    "COMMERCE_PLUGIN_DELIVERY_RETENTION_DAYS": 90,
    # Purge every this many seconds: from Celery beat where one runs, else queued by the webhook
    # endpoint for the workers at most this often (None: only the management command).
    "COMMERCE_PLUGIN_PURGE_INTERVAL_SECONDS": 24 * 3600,
    # Backfill: read paid orders and refunds back from each store's API (stores with API credentials
    # whose adapter can), for webhooks that never came. Run it from Celery beat every this many
    # seconds (None: only commerce_backfill and the store admin's action), reading this far back
    # (3 days: as long as Stripe retries; WooCommerce never retries and Shopify stops after 4 hours).
    "COMMERCE_PLUGIN_BACKFILL_INTERVAL_SECONDS": None,
    "COMMERCE_PLUGIN_BACKFILL_WINDOW_SECONDS": 3 * 24 * 3600,
    # The store's API: 429s, 5xx and connection errors are retried this many times with exponential
    # backoff from this factor (honouring Retry-After); each request times out after this long.
    "COMMERCE_PLUGIN_BACKFILL_HTTP_RETRIES": 5,
    "COMMERCE_PLUGIN_BACKFILL_HTTP_BACKOFF_SECONDS": 1,
    "COMMERCE_PLUGIN_BACKFILL_HTTP_TIMEOUT_SECONDS": 30,
    # A store whose last backfill recovered orders while no webhook came for this many hours is
    # flagged (dashboard, health): its webhook may be disabled or deleted in the store.
    "COMMERCE_PLUGIN_BACKFILL_QUIET_HOURS": 12,
    # A backfill run that has read nothing for this long (longer than one request with all its
    # retries) is taken as stopped: closed as failed, and the store may be read again.
    "COMMERCE_PLUGIN_BACKFILL_STALL_SECONDS": 900,
    # Keys that encrypt stores' signing secrets and API credentials in the database: Fernet keys
    # (Fernet.generate_key()) or long passphrases. The first encrypts, every one decrypts: to rotate,
    # put the new key first, run commerce_rotate_secret_keys, then drop the old one. None: a key
    # derived from SECRET_KEY (and SECRET_KEY_FALLBACKS, to decrypt).
    "COMMERCE_PLUGIN_SECRET_KEYS": None,
    # The store that Commerce Coordinator-style requests belong to; created on first use.
    "COMMERCE_PLUGIN_DEFAULT_STORE": "default",
    # Extra receivers by event type: {"org.openedx.commerce.order.placed.v1": ["dotted.path"]}.
    "COMMERCE_PLUGIN_ROUTES": {},
    # Stripe checkout and refunds. The secret key (sk_live_..., or a restricted key allowed to write
    # Checkout Sessions and Refunds) is read from settings only and never logged.
    "COMMERCE_PLUGIN_STRIPE_API_KEY": None,
    # None talks to Stripe; tests point it at a local Stripe-compatible server.
    "COMMERCE_PLUGIN_STRIPE_API_BASE": None,
    # Retries of a failed network call inside one request (the library's own, same idempotency key).
    "COMMERCE_PLUGIN_STRIPE_MAX_NETWORK_RETRIES": 2,
    # Slug of the store (kind "stripe") that checkout orders belong to; created on first checkout.
    "COMMERCE_PLUGIN_STRIPE_STORE": "stripe",
    # Where learners go once enrolled after paying, and when they cancel on Stripe's page.
    "COMMERCE_PLUGIN_CHECKOUT_SUCCESS_REDIRECT": "/courses/{course_id}/courseware",
    "COMMERCE_PLUGIN_CHECKOUT_CANCEL_URL": "/courses/{course_id}/about",
    # Clicks within this many seconds for the same product and price reuse one Checkout Session
    # (well under the 24 hours a session stays open).
    "COMMERCE_PLUGIN_CHECKOUT_REUSE_SECONDS": 3600,
    # Seat codes (issue 21): a line bought in a quantity of 2 or more issues that many single-use
    # codes instead of enrolling the buyer. An order's lines may ask for at most this many seats in all.
    "COMMERCE_PLUGIN_MAX_SEATS_PER_ORDER": 500,
    # A refund of a code purchase revokes its unredeemed codes; True also takes back the seats
    # already redeemed with them (the learners keep progress; their enrollment returns to its prior mode).
    "COMMERCE_PLUGIN_REFUND_REVOKES_REDEEMED_SEATS": False,
    # Redeeming a code at /commerce-plugin/redeem/<code>: attempts allowed per account and per address
    # (django-ratelimit's rate syntax), so nobody can guess codes by trying many.
    "COMMERCE_PLUGIN_REDEEM_RATE": "10/m",
    # Stripe Checkout: a field for the Stripe promotion codes the operator created in Stripe.
    "COMMERCE_PLUGIN_STRIPE_PROMOTION_CODES": False,
    # Stripe Tax computes and adds the tax on the hosted page (needs Stripe Tax set up in the
    # Stripe account); prices are "exclusive" (tax added on top) or "inclusive" of it.
    "COMMERCE_PLUGIN_STRIPE_AUTOMATIC_TAX": False,
    "COMMERCE_PLUGIN_STRIPE_TAX_BEHAVIOR": "exclusive",
    # Let business buyers enter their tax ID on the hosted page (where Stripe Tax needs it).
    "COMMERCE_PLUGIN_STRIPE_TAX_ID_COLLECTION": False,
    # The LMS's own ecommerce refund on unenrollment skips the seats the plugin sold (the plugin
    # refunds those itself); other seats keep the LMS's behaviour. An operator's own override wins,
    # and the health check then says the refunds may double.
    "OVERRIDE_REFUND_SEAT": "commerce_plugin.lms.overrides.refund_seat",
    # Subscriptions (issue 23). Every this many seconds a periodic task ends the access of subscriptions
    # past their paid period (plus grace): the seats they granted move to the course's free mode,
    # keeping progress, or are unenrolled when _LAPSE_UNENROLLS is True (None: only commerce_subscriptions --lapse).
    "COMMERCE_PLUGIN_SUBSCRIPTION_LAPSE_INTERVAL_SECONDS": 3600,
    "COMMERCE_PLUGIN_SUBSCRIPTION_LAPSE_UNENROLLS": False,
    # The generic API refuses a paid-until date further ahead than this many days (a two-year pass fits).
    "COMMERCE_PLUGIN_SUBSCRIPTION_MAX_PAID_DAYS": 800,
    # Where a learner lands after subscribing on Stripe's page, and after leaving Stripe's customer portal.
    "COMMERCE_PLUGIN_SUBSCRIPTION_SUCCESS_REDIRECT": "/dashboard",
    "COMMERCE_PLUGIN_STRIPE_PORTAL_RETURN_URL": ORDER_HISTORY_PAGE,
    # The step on the LMS's enrollment-started filter that gives subscribers the plan's paid mode when
    # they click Enroll on a covered course (False: the plugin does not install it; subscribers then
    # get paid seats only for the runs they were in when the subscription started).
    "COMMERCE_PLUGIN_SUBSCRIPTION_ENROLLMENT_STEP": True,
}


# edx-ace's own settings, for a host that has none (the sandbox, a bare Django project): the receipt
# email goes out through Django's email backend. Inside the LMS its ace_common app sets them, and
# those (or the operator's) are never replaced.
ACE_DEFAULTS = {
    "ACE_ENABLED_CHANNELS": ["django_email"],
    "ACE_ENABLED_POLICIES": [],
    "ACE_CHANNEL_DEFAULT_EMAIL": "django_email",
    "ACE_CHANNEL_TRANSACTIONAL_EMAIL": "django_email",
}


def plugin_settings(settings):
    """Add the plugin's defaults to the LMS settings without touching what the operator set."""
    for name, value in DEFAULTS.items():
        if not hasattr(settings, name):
            setattr(settings, name, value)
    for name, value in ACE_DEFAULTS.items():
        if not hasattr(settings, name):
            setattr(settings, name, copy.copy(value))  # a list of one's own: the LMS appends to its own
    # The LMS's header links "Order History" to this setting, which the LMS itself defines as None
    # (a link to "None") until an operator names an MFE: then the plugin's page stands in. A value
    # the operator set is kept, whenever it is read (the LMS YAML comes after the common settings).
    # A path, not a URL: only the LMS's own pages link it, and LMS_ROOT_URL may not be final yet.
    if getattr(settings, "ORDER_HISTORY_MICROFRONTEND_URL", None) is None:
        settings.ORDER_HISTORY_MICROFRONTEND_URL = ORDER_HISTORY_PAGE
    install_enrollment_step(settings)


def install_enrollment_step(settings):
    """
    Put the plugin's subscription step on the LMS's enrollment-started filter
    (``OPEN_EDX_FILTERS_CONFIG``), after any steps the operator configured there, keeping their
    ``fail_silently``; once, however often called. Called with the plugin's settings and again when
    the app is ready, since the operator's settings (Tutor's) may replace the filter configuration
    after the plugin's were applied. ``COMMERCE_PLUGIN_SUBSCRIPTION_ENROLLMENT_STEP = False`` opts out.
    """
    if not getattr(settings, "COMMERCE_PLUGIN_SUBSCRIPTION_ENROLLMENT_STEP", True):
        return
    config = getattr(settings, "OPEN_EDX_FILTERS_CONFIG", None)
    if config is None:
        config = {}
        settings.OPEN_EDX_FILTERS_CONFIG = config
    entry = config.setdefault(ENROLLMENT_STARTED, {"fail_silently": False, "pipeline": []})
    pipeline = entry.get("pipeline") or []
    if isinstance(pipeline, str):
        pipeline = [pipeline]
    if SUBSCRIPTION_ENROLLMENT_STEP not in pipeline:
        entry["pipeline"] = [*pipeline, SUBSCRIPTION_ENROLLMENT_STEP]
    entry.setdefault("fail_silently", False)
