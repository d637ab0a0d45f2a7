"""
Subscriptions: a recurring price that grants a catalogue (course runs, courses, organisations) in a
paid mode for as long as it is paid. Storage only; behaviour lives in
:mod:`commerce_plugin.core.subscriptions`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from commerce_plugin.models.catalog import Store


def _entries(text):
    """One entry per line (or comma-separated), blanks dropped, in the order written."""
    return [part.strip() for line in (text or "").splitlines() for part in line.split(",") if part.strip()]


def course_parts(course_id):
    """``(org, number)`` of a course run id (``course-v1:Org+Num+Run`` or ``Org/Num/Run``), else ``(None, None)``."""
    course_id = str(course_id or "")
    if course_id.startswith("course-v1:"):
        parts = course_id[len("course-v1:") :].split("+")
    else:
        parts = course_id.split("/")
    if len(parts) != 3 or not all(parts):
        return None, None
    return parts[0], parts[1]


class SubscriptionPlan(models.Model):
    """
    What a subscription sells: access in ``mode`` to every course run it covers, for as long as it is
    paid, plus ``grace_days`` after a renewal payment fails. It covers the runs listed, every run of
    the courses listed (``Org+Number``) and every run of the organisations listed, so runs added later
    to a granted course or organisation are covered without touching the plan.

    .. no_pii: A plan holds configuration only.
    """

    slug = models.SlugField(max_length=64, unique=True, help_text=_("The plan's id in links and in the API."))
    name = models.CharField(max_length=255)
    mode = models.CharField(max_length=100, default="verified", help_text=_("The paid mode the plan grants."))
    course_runs = models.TextField(blank=True, help_text=_("Course run ids, one per line."))
    courses = models.TextField(blank=True, help_text=_("Courses as Org+Number, one per line: every run of each."))
    organizations = models.TextField(blank=True, help_text=_("Organisation codes, one per line: every run of theirs."))
    grace_days = models.PositiveIntegerField(
        default=3, help_text=_("Days access continues after a renewal payment fails, while Stripe retries it.")
    )
    active = models.BooleanField(default=True, help_text=_("Inactive plans cannot be bought; subscribers keep access."))
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.slug})"

    def run_ids(self):
        return _entries(self.course_runs)

    def course_keys(self):
        return _entries(self.courses)

    def org_codes(self):
        return _entries(self.organizations)

    def covers(self, course_id):
        """Whether the plan grants ``course_id`` (a course run id)."""
        course_id = str(course_id)
        if course_id in self.run_ids():
            return True
        org, number = course_parts(course_id)
        if org is None:
            return False
        return org in self.org_codes() or f"{org}+{number}" in self.course_keys()


class SubscriptionPrice(models.Model):
    """A recurring Stripe price of a plan, one per currency (and interval) the plan is sold in."""

    INTERVALS = [("day", _("day")), ("week", _("week")), ("month", _("month")), ("year", _("year"))]

    plan = models.ForeignKey(SubscriptionPlan, related_name="prices", on_delete=models.CASCADE)
    stripe_price_id = models.CharField(max_length=255, unique=True, help_text=_("Stripe's price id (price_…)."))
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    interval = models.CharField(max_length=8, choices=INTERVALS, default="month")

    class Meta:
        ordering = ["plan", "currency"]

    def __str__(self):
        return f"{self.plan.slug} {self.amount} {self.currency.upper()}/{self.interval}"


class Subscription(models.Model):
    """
    One learner's subscription to a plan, as its store last reported it, and whether the plugin is
    granting access for it.

    ``status`` is the store's (Stripe's vocabulary: ``active``, ``trialing``, ``past_due``, ``unpaid``,
    ``canceled``, ``incomplete``, ``incomplete_expired``, ``paused``; the generic API reports ``active``,
    ``canceled`` or ``ended``). ``paid_until`` is the end of the last paid period, ``cancel_at`` when
    it ends without renewing. ``observed_at`` is when the source's state was true, so an older report
    never overwrites a newer one. ``granting`` is the plugin's own decision, changed only by
    :mod:`commerce_plugin.core.subscriptions` (a start or renewal sets it, the lapse task clears it).

    .. pii: The buyer's email.
    .. pii_types: email_address
    .. pii_retirement: retained
    """

    store = models.ForeignKey(Store, related_name="subscriptions", on_delete=models.PROTECT)
    external_id = models.CharField(max_length=255, help_text=_("The store's id of the subscription (sub_…)."))
    plan = models.ForeignKey(SubscriptionPlan, related_name="subscriptions", on_delete=models.PROTECT)
    lms_user_id = models.IntegerField(db_index=True)
    email = models.EmailField(max_length=254, blank=True)
    customer_id = models.CharField(max_length=255, blank=True, db_index=True, help_text=_("Stripe's customer id."))
    status = models.CharField(max_length=32)
    paid_until = models.DateTimeField(null=True, blank=True)
    cancel_at = models.DateTimeField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    observed_at = models.DateTimeField(null=True, blank=True)
    granting = models.BooleanField(default=False, db_index=True)
    access_until = models.DateTimeField(null=True, blank=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # When the seats last caught up with a start or an end (the tasks that upgrade or free them set
    # it); behind ``started_at``/``ended_at``, the periodic task queues them again.
    seats_synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "external_id"], name="commerce_subscription_store_external_id")
        ]
        ordering = ["-created"]

    def __str__(self):
        return f"{self.store.slug}/{self.external_id}"


class SubscriptionGrant(models.Model):
    """
    A seat a subscription gave a learner: ``granted`` says what was done (``created`` a new seat or
    ``upgraded`` one in ``previous_mode``), so ending access undoes only that. ``ended`` says how
    access ended: ``free-mode`` (moved to the course's free mode), ``unenrolled``, ``kept-bought`` (a
    seat bought separately was left), ``changed`` (its mode changed since, or the learner left: left
    alone), ``moved`` (another subscription of the learner covers it now).

    .. no_pii: A grant references the learner by user id only.
    """

    subscription = models.ForeignKey(Subscription, related_name="grants", on_delete=models.CASCADE)
    lms_user_id = models.IntegerField(db_index=True)
    course_id = models.CharField(max_length=255, db_index=True)
    mode = models.CharField(max_length=100)
    granted = models.CharField(max_length=16, blank=True)
    previous_mode = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True, db_index=True)
    ended = models.CharField(max_length=16, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "course_id"], name="commerce_grant_subscription_course")
        ]
        ordering = ["subscription", "course_id"]

    def __str__(self):
        return f"{self.subscription} {self.course_id}"


class SubscriptionHistory(models.Model):
    """What happened to a subscription and when: started, renewed, ended (the dashboard counts these)."""

    STARTED, RENEWED, ENDED = "started", "renewed", "ended"
    KINDS = [(STARTED, _("started")), (RENEWED, _("renewed")), (ENDED, _("ended"))]

    subscription = models.ForeignKey(Subscription, related_name="history", on_delete=models.CASCADE)
    kind = models.CharField(max_length=16, choices=KINDS)
    at = models.DateTimeField(db_index=True)
    paid_until = models.DateTimeField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = _("subscription history")

    def __str__(self):
        return f"{self.subscription} {self.kind} {self.at:%Y-%m-%d}"
