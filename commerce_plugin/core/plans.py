"""
Subscription plans as operators configure them (the ``commerce_plan`` command and the admin): what a
plan covers and the recurring Stripe prices it is sold at, checked the same way whichever way it is
made, so a typo is refused now rather than a subscriber finding a course not covered later.

What a plan covers is checked for its form only (a run id that parses, ``Org+Number``, an
organisation code): a plan may name courses and organisations before their runs exist, and runs
added later are covered without touching it.
"""

import logging
import re
from decimal import Decimal, InvalidOperation

import attr
from django.db import transaction
from django.db.models import Count, Q
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from commerce_plugin.lms import get_backend
from commerce_plugin.lms.base import FREE_MODES
from commerce_plugin.models import SubscriptionPlan, SubscriptionPrice

__all__ = [
    "PlanError",
    "PriceSpec",
    "coverage_problems",
    "mode_problem",
    "parse_price",
    "describe",
    "plans_with_counts",
    "save_plan",
]

log = logging.getLogger(__name__)

# What an Org or a course Number may hold in a course key (opaque-keys' allowed characters).
_PART = r"[\w.%~-]+"
COURSE = re.compile(rf"^{_PART}\+{_PART}$")
ORG = re.compile(rf"^{_PART}$")
CURRENCY = re.compile(r"^[a-z]{3}$")
SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")
INTERVALS = [value for value, _label in SubscriptionPrice.INTERVALS]
PRICE_FORMAT = "<stripe price id>:<currency>:<amount>:<interval> (e.g. price_123:usd:49.00:month)"


class PlanError(ValueError):
    """A plan the plugin refuses; ``field`` names the plan's field at fault (the admin shows it there)."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


@attr.s(frozen=True, auto_attribs=True)
class PriceSpec:
    """One recurring price of a plan, as typed: Stripe's price id, currency, amount and interval."""

    stripe_price_id: str
    currency: str
    amount: Decimal
    interval: str = "month"


def coverage_problems(course_runs="", courses="", organizations=""):
    """``{field: message}`` for what a plan covers: malformed entries, or nothing covered at all."""
    probe = SubscriptionPlan(course_runs=course_runs or "", courses=courses or "", organizations=organizations or "")
    runs, course_keys, orgs = probe.run_ids(), probe.course_keys(), probe.org_codes()
    problems = {}
    bad_runs = [run for run in runs if not _is_run(run)]
    if bad_runs:
        problems["course_runs"] = f"Not a course run id (course-v1:Org+Number+Run): {', '.join(bad_runs)}."
    bad_courses = [course for course in course_keys if not COURSE.match(course)]
    if bad_courses:
        problems["courses"] = f"Not a course as Org+Number (e.g. edX+DemoX): {', '.join(bad_courses)}."
    bad_orgs = [org for org in orgs if not ORG.match(org)]
    if bad_orgs:
        problems["organizations"] = f"Not an organisation code (e.g. edX): {', '.join(bad_orgs)}."
    if not (runs or course_keys or orgs):
        problems["course_runs"] = "A plan must cover something: list course runs, courses or organisations."
    return problems


def mode_problem(mode, course_runs=""):
    """
    What is wrong with ``mode`` as the mode a plan grants, or ``None``: a free mode sells nothing, and
    a mode none of the plan's named runs offers (those the LMS knows) would grant nothing there, so a
    typo such as ``verifed`` is caught. Runs of listed courses and organisations are not enumerated:
    a course without the mode leaves its subscribers in the free mode, as the enrollment step says.
    """
    if not SLUG.match(str(mode or "")):
        return f"'{mode}' is not a course mode (verified, professional…)."
    if mode in FREE_MODES:
        return f"'{mode}' is the mode learners get without paying: a plan grants a paid mode (verified…)."
    backend = get_backend()
    offered = {}
    for run in SubscriptionPlan(course_runs=course_runs or "").run_ids():
        modes = backend.course_modes(run) if _is_run(run) else None
        if modes is not None:
            offered[run] = modes
    if offered and not any(mode in modes for modes in offered.values()):
        found = sorted({slug for modes in offered.values() for slug in modes})
        return f"None of the course runs this plan names offers '{mode}' (they offer: {', '.join(found)})."
    return None


def _is_run(value):
    try:
        CourseKey.from_string(value)
    except InvalidKeyError:
        return False
    return True


def check_currency(value):
    """The currency as stored (lower case), or :class:`PlanError`."""
    currency = str(value or "").strip().lower()
    if not CURRENCY.match(currency):
        raise PlanError(f"Currency '{value}' is not a three-letter ISO 4217 code (usd, eur…).", "currency")
    return currency


def parse_price(value):
    """``price_123:usd:49.00:month`` → :class:`PriceSpec`, or :class:`PlanError` saying what is wrong."""
    parts = str(value).split(":")
    if len(parts) not in (3, 4) or not all(part.strip() for part in parts):
        raise PlanError(f"Price '{value}' is not {PRICE_FORMAT}.", "prices")
    price_id, currency, amount, *interval = (part.strip() for part in parts)
    try:
        amount = Decimal(amount)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:
        raise PlanError(f"Price '{value}': '{parts[2]}' is not an amount (e.g. 49.00).", "prices")
    interval = interval[0] if interval else "month"
    if interval not in INTERVALS:
        raise PlanError(f"Price '{value}': the interval is one of {', '.join(INTERVALS)}.", "prices")
    return PriceSpec(price_id, check_currency(currency), amount, interval)


def save_plan(slug, *, name=None, mode=None, coverage=None, grace_days=None, active=None, prices=None):
    """
    Create plan ``slug`` or change it; return ``(plan, created)``. What is ``None`` is left as it is.
    ``coverage`` (``{"course_runs": [...], "courses": [...], "organizations": [...]}``) and ``prices``
    (:class:`PriceSpec` list) replace the plan's whole coverage and price list, so a command line
    states the plan; subscribers keep their subscriptions whatever changes.
    """
    if not SLUG.match(str(slug)):
        raise PlanError(f"'{slug}' is not a plan id: letters, digits, - and _ (at most 64).", "slug")
    with transaction.atomic():
        plan = SubscriptionPlan.objects.select_for_update().filter(slug=slug).first()
        created = plan is None
        if created:
            if not name:
                raise PlanError(f"New plan '{slug}' needs a name (--name).", "name")
            plan = SubscriptionPlan(slug=slug)
        for field, value in (("name", name), ("mode", mode), ("grace_days", grace_days), ("active", active)):
            if value is not None:
                setattr(plan, field, value)
        if coverage is not None:
            for field in ("course_runs", "courses", "organizations"):
                setattr(plan, field, "\n".join(coverage.get(field) or []))
        problems = coverage_problems(plan.course_runs, plan.courses, plan.organizations)
        if problems:
            field, message = next(iter(problems.items()))
            raise PlanError(message, field)
        if mode is not None or coverage is not None:
            problem = mode_problem(plan.mode, plan.course_runs)
            if problem:
                raise PlanError(problem, "mode")
        if plan.grace_days < 0:
            raise PlanError("The grace period is 0 or more days.", "grace_days")
        plan.save()
        if prices is not None:
            _replace_prices(plan, prices)
    log.info("commerce plan saved slug=%s created=%s", slug, created)
    return plan, created


def describe(plan):
    """One line saying what ``plan`` sells, for the command's output."""
    covers = [
        f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"
        for items, noun in ((plan.run_ids(), "run"), (plan.course_keys(), "course"), (plan.org_codes(), "organisation"))
        if items
    ]
    prices = ", ".join(f"{p.amount} {p.currency.upper()}/{p.interval} ({p.stripe_price_id})" for p in plan.prices.all())
    state = "active" if plan.active else "inactive"
    return (
        f"{plan.name}, {state}, mode {plan.mode}, grace {plan.grace_days} days; covers {', '.join(covers)}; "
        f"prices: {prices or 'none'}"
    )


def _replace_prices(plan, prices):
    ids = [price.stripe_price_id for price in prices]
    repeated = sorted({price_id for price_id in ids if ids.count(price_id) > 1})
    if repeated:
        raise PlanError(f"Price {', '.join(repeated)} is given twice.", "prices")
    taken = SubscriptionPrice.objects.filter(stripe_price_id__in=ids).exclude(plan=plan).select_related("plan")
    for price in taken:
        raise PlanError(f"Price {price.stripe_price_id} already belongs to plan '{price.plan.slug}'.", "prices")
    plan.prices.exclude(stripe_price_id__in=ids).delete()
    for spec in prices:
        SubscriptionPrice.objects.update_or_create(
            plan=plan,
            stripe_price_id=spec.stripe_price_id,
            defaults={"currency": spec.currency, "amount": spec.amount, "interval": spec.interval},
        )


def plans_with_counts():
    """Every plan with its prices and ``subscribers`` (subscriptions granting now), in two queries."""
    return SubscriptionPlan.objects.annotate(
        subscribers=Count("subscriptions", filter=Q(subscriptions__granting=True))
    ).prefetch_related("prices")
