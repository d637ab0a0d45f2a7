"""
The generic subscription API (v1): a store other than Stripe (WooCommerce Subscriptions, Shopify)
reports the state of a subscription it sells, and the plugin grants access from it as it does from
Stripe's webhooks (:func:`commerce_plugin.core.subscriptions.record`).

``POST subscriptions/`` takes the store's id of the subscription, the plan's slug, the buyer (an LMS
account: ``lms_user_id``, ``username`` or ``email``), the end of the paid period and a status:
``active`` (renews), ``canceled`` (will not renew: access until ``paid_until``) or ``ended`` (access
ends now: a refund, a chargeback). It is authenticated as ``POST orders/`` is; a store's signature on
a report acts once, so a report replayed later cannot bring back access a newer one ended.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from commerce_plugin.api.v1.permissions import signing_store
from commerce_plugin.api.v1.serializers import WholeNumberField
from commerce_plugin.api.v1.views import FulfillmentAPIView
from commerce_plugin.core import subscription_lapse, subscriptions
from commerce_plugin.data import SubscriptionData
from commerce_plugin.lms import get_backend
from commerce_plugin.models import Store, Subscription, SubscriptionPlan

STATUSES = ("active", "canceled", subscriptions.ENDED_NOW)
BUYER_FIELDS = ("lms_user_id", "username", "email")
# An LMS user id is a 32-bit column in the plugin's tables: a larger number names nobody.
LARGEST_USER_ID = 2**31 - 1


class MomentField(serializers.DateTimeField):
    """An ISO 8601 moment with its offset (``Z``, ``+02:00``): a local time is a different moment in each zone."""

    default_error_messages = {"naive": "Give the time with its offset (Z or ±hh:mm), e.g. 2027-01-31T00:00:00Z."}

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="ISO 8601 with offset")
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:  # well-formed but impossible (a 13th month): DRF's own message follows
            parsed = None
        if parsed is not None and parsed.tzinfo is None:
            self.fail("naive")
        return super().to_internal_value(value)


class SubscriptionReportSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """A store's report of one subscription, validated completely before anything is stored."""

    store = serializers.SlugField(max_length=64)
    subscription_id = serializers.CharField(max_length=255, help_text="The store's own id of the subscription.")
    plan = serializers.SlugField(max_length=64, help_text="The plan's slug (its id in links and in the admin).")
    lms_user_id = WholeNumberField(
        min_value=1, max_value=LARGEST_USER_ID, required=False, help_text="The buyer's LMS user id."
    )
    username = serializers.CharField(
        max_length=150, required=False, allow_blank=True, help_text="The buyer's LMS username."
    )
    email = serializers.EmailField(
        max_length=254,
        required=False,
        allow_blank=True,
        help_text="The buyer's email: an LMS account's, or the store's address for the buyer named by"
        " lms_user_id or username. At least one of the three must name an existing LMS account.",
    )
    status = serializers.ChoiceField(
        choices=STATUSES,
        default="active",
        help_text="`active`: renews. `canceled`: will not renew; access until `paid_until`. `ended`: access ends"
        " now (a refund, a chargeback).",
    )
    paid_until = MomentField(
        required=False,
        allow_null=True,
        help_text="The end of the paid period (required unless `ended`): not in the past, and at most"
        " COMMERCE_PLUGIN_SUBSCRIPTION_MAX_PAID_DAYS (800 by default) ahead. Access lasts until then, plus the"
        " plan's grace while `active`.",
    )
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False, allow_blank=True)
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="What the period cost, in `currency`.",
    )

    def validate_store(self, value):
        known = self.context.get("store")  # the store that signed the request, already read
        store = known if known is not None and known.slug == value else Store.objects.filter(slug=value).first()
        if store is None:
            raise serializers.ValidationError(f"Unknown store '{value}'.")
        if not store.active:
            raise serializers.ValidationError(f"Store '{value}' is inactive.")
        return store

    def validate_plan(self, value):
        if not SubscriptionPlan.objects.filter(slug=value).exists():
            raise serializers.ValidationError(f"Unknown plan '{value}'.")
        return value

    def validate(self, attrs):
        errors = {**_buyer_errors(attrs), **_paid_until_errors(attrs)}
        if attrs.get("amount") is not None and not attrs.get("currency"):
            errors["currency"] = ["Give the currency of amount."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def to_report(self) -> SubscriptionData:
        attrs = self.validated_data
        # No cancel_at: "canceled" alone ends access at the paid period's end, which a later report
        # never moves back (a report of a shorter period cannot cut off time already paid for).
        return SubscriptionData(
            store=attrs["store"].slug,
            subscription_id=attrs["subscription_id"],
            plan=attrs["plan"],
            status=attrs["status"],
            lms_user_id=attrs["buyer"].id,
            email=attrs.get("email") or attrs["buyer"].email or None,
            paid_until=attrs.get("paid_until"),
            currency=(attrs.get("currency") or "").lower() or None,
            amount=None if attrs.get("amount") is None else str(attrs["amount"]),
            observed_at=timezone.now(),
        )


def _buyer_errors(attrs):
    """
    The buyer is the LMS account the identifiers name (``attrs["buyer"]``). An email of no account
    beside a known id or username is the store's address for the buyer, as in orders; identifiers
    naming two different accounts are refused, since either could be the learner meant.
    """
    given = {name: attrs[name] for name in BUYER_FIELDS if attrs.get(name) not in (None, "")}
    if not given:
        message = ["Give the buyer: lms_user_id, username or email of an LMS account."]
        return dict.fromkeys(BUYER_FIELDS, message)
    backend = get_backend()
    keyword = {"lms_user_id": "user_id", "username": "username", "email": "email"}
    found = {name: backend.find_user(**{keyword[name]: value}) for name, value in given.items()}
    accounts = {name: user for name, user in found.items() if user is not None}
    if not accounts:
        return {name: ["No LMS account has this " + name.replace("lms_user_id", "id") + "."] for name in given}
    first, *others = accounts
    for name in others:
        if accounts[name].id != accounts[first].id:
            return {name: [f"This {name} belongs to another LMS account than the one named by {first}."]}
    attrs["buyer"] = accounts[first]
    return {}


def _paid_until_errors(attrs):
    paid_until, now = attrs.get("paid_until"), timezone.now()
    ended = attrs["status"] == subscriptions.ENDED_NOW
    most = settings.COMMERCE_PLUGIN_SUBSCRIPTION_MAX_PAID_DAYS
    if paid_until is None:
        return {} if ended else {"paid_until": ["This field is required unless the status is ended."]}
    if paid_until <= now and not ended:
        return {"paid_until": ["This date is in the past: report an ended subscription with status ended."]}
    if paid_until > now + timedelta(days=most):
        return {"paid_until": [f"This date is more than {most} days ahead."]}
    return {}


class SubscriptionStateSerializer(serializers.Serializer):  # pylint: disable=abstract-method
    """The one shape in which a subscription is returned: the store's report and the plugin's decision."""

    store = serializers.CharField(source="store.slug")
    subscription_id = serializers.CharField(source="external_id")
    plan = serializers.CharField(source="plan.slug")
    status = serializers.CharField(help_text="The status last reported.")
    paid_until = serializers.DateTimeField(allow_null=True)
    access_until = serializers.DateTimeField(
        allow_null=True, help_text="When access ends unless paid again: paid_until, plus the plan's grace if active."
    )
    granting = serializers.BooleanField(help_text="Whether the plugin grants the plan's courses for it now.")


def _stored(store, subscription_id):
    rows = Subscription.objects.select_related("store", "plan")
    return rows.filter(store__slug=store, external_id=subscription_id).first()


class SubscriptionReportView(FulfillmentAPIView):
    """``POST /commerce-plugin/api/v1/subscriptions/``: 201 new, 200 known, 409 another buyer's."""

    signed_once = True

    def post(self, request):
        serializer = SubscriptionReportSerializer(data=request.data, context={"store": signing_store(request)})
        serializer.is_valid(raise_exception=True)
        report = serializer.to_report()
        self.check_store(request, report.store)
        known = _stored(report.store, report.subscription_id)
        if known is not None and known.lms_user_id != report.lms_user_id:
            detail = "This subscription id belongs to another LMS account: a subscription does not change hands."
            return Response({"detail": detail}, status=status.HTTP_409_CONFLICT)
        try:
            sub, _ = subscriptions.record(report)
        except subscriptions.UnknownPlan:  # deleted since it was validated
            return Response({"plan": [f"Unknown plan '{report.plan}'."]}, status=status.HTTP_400_BAD_REQUEST)
        if report.status == subscriptions.ENDED_NOW and sub.granting:
            subscriptions.end_lapsed(pk=sub.pk)  # now, not at the periodic task's next run
            sub.refresh_from_db()
        subscription_lapse.lapse_if_due()  # others' access ends on time where no beat runs
        answer = status.HTTP_201_CREATED if known is None else status.HTTP_200_OK
        return Response(SubscriptionStateSerializer(sub).data, status=answer)


class SubscriptionDetailView(FulfillmentAPIView):
    """``GET /commerce-plugin/api/v1/subscriptions/<store>/<subscription_id>/``: a store reads only its own."""

    def get(self, request, store, subscription_id):
        self.check_store(request, store)
        sub = _stored(store, subscription_id)
        if sub is None:
            raise NotFound("No such subscription.")
        return Response(SubscriptionStateSerializer(sub).data)
