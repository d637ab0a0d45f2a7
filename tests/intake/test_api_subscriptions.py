"""The generic subscription API: a store other than Stripe reports a subscription, and access follows it."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from commerce_plugin.api.v1 import authentication
from commerce_plugin.core import subscriptions
from commerce_plugin.models import Subscription, SubscriptionHistory, SubscriptionPlan
from tests.conftest import SignedClient
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/commerce-plugin/api/v1/subscriptions/"
DETAIL = f"{URL}shop/wc-42/"


def moment(days):
    """An ISO 8601 moment ``days`` from now, with its offset, as a store sends it."""
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


def report(**overrides):
    payload = {"store": "shop", "subscription_id": "wc-42", "plan": "all-access", "email": "ada@example.com"}
    payload.update(paid_until=moment(30), currency="USD", amount="29.00")
    payload.update(overrides)
    return {name: value for name, value in payload.items() if value is not None}


class Signer(SignedClient):
    """Signs each request with a timestamp of its own: a store's signature on a report acts once."""

    def __init__(self, secret):
        super().__init__(secret)
        self.sent = 0

    def _headers(self, method, url, body):
        self.sent += 1
        self.timestamp = int(time.time()) - self.sent
        return super()._headers(method, url, body)


@pytest.fixture
def plan(db):
    return SubscriptionPlan.objects.create(slug="all-access", name="All access", organizations="Org", grace_days=3)


@pytest.fixture
def shop(store, plan, learner):
    return Signer(store.secret)


def test_a_stores_first_report_starts_access_and_is_answered_201(shop, learner, events):
    response = shop.post(URL, report())

    assert response.status_code == 201
    answer = response.json()
    assert answer["store"] == "shop" and answer["subscription_id"] == "wc-42" and answer["plan"] == "all-access"
    assert answer["status"] == "active" and answer["granting"] is True
    paid_until = datetime.fromisoformat(answer["paid_until"])
    assert datetime.fromisoformat(answer["access_until"]) == paid_until + timedelta(days=3)
    sub = Subscription.objects.get()
    assert (sub.lms_user_id, sub.currency, str(sub.amount)) == (learner.id, "usd", "29.00")
    [started] = events["subscription.started.v1"]
    assert (started.store, started.lms_user_id, started.email) == ("shop", learner.id, "ada@example.com")


def test_the_same_report_again_is_200_and_changes_nothing(shop, events):
    first = shop.post(URL, report(paid_until=moment(30)))
    again = shop.post(URL, report(paid_until=first.json()["paid_until"]))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Subscription.objects.count() == 1
    assert list(SubscriptionHistory.objects.values_list("kind", flat=True)) == ["started"]
    assert "subscription.renewed.v1" not in events


def test_a_later_paid_period_renews(shop, events):
    shop.post(URL, report(paid_until=moment(30)))
    response = shop.post(URL, report(paid_until=moment(60)))

    assert response.status_code == 200
    assert datetime.fromisoformat(response.json()["paid_until"]) > datetime.now(UTC) + timedelta(days=59)
    assert len(events["subscription.renewed.v1"]) == 1


def test_a_canceled_subscription_keeps_access_until_its_paid_date_without_grace(shop):
    paid_until = shop.post(URL, report()).json()["paid_until"]
    response = shop.post(URL, report(status="canceled", paid_until=paid_until))

    answer = response.json()
    assert response.status_code == 200
    assert answer["status"] == "canceled" and answer["granting"] is True
    assert answer["access_until"] == answer["paid_until"] == paid_until


def test_a_cancellation_reporting_a_shorter_period_cuts_off_no_paid_time(shop):
    paid_until = shop.post(URL, report(paid_until=moment(30))).json()["paid_until"]
    response = shop.post(URL, report(status="canceled", paid_until=moment(10)))

    assert response.json()["access_until"] == response.json()["paid_until"] == paid_until


def test_an_ended_subscription_loses_access_now_without_a_paid_until(shop, events):
    shop.post(URL, report())
    response = shop.post(URL, report(status="ended", paid_until=None, amount=None, currency=None))

    answer = response.json()
    assert response.status_code == 200
    assert answer["status"] == "ended" and answer["granting"] is False
    assert datetime.fromisoformat(answer["access_until"]) <= datetime.now(UTC)
    assert [sub.subscription_id for sub in events["subscription.ended.v1"]] == ["wc-42"]
    assert not Subscription.objects.get().granting


@pytest.mark.parametrize(
    "buyer", [{"lms_user_id": "id"}, {"username": "ada", "email": None}, {"email": "ADA@example.com"}]
)
def test_the_buyer_may_be_named_by_id_username_or_email(shop, learner, buyer):
    buyer = {name: learner.id if value == "id" else value for name, value in buyer.items()}
    response = shop.post(URL, report(**buyer))

    assert response.status_code == 201
    assert Subscription.objects.get().lms_user_id == learner.id


def test_a_buyer_no_lms_account_matches_is_a_400_on_the_buyer_field(shop):
    response = shop.post(URL, report(email="nobody@example.com"))

    assert response.status_code == 400
    assert response.json() == {"email": ["No LMS account has this email."]}
    assert not Subscription.objects.exists()


def test_identifiers_naming_two_accounts_are_refused(shop, learner):
    UserFactory(username="bob", email="bob@example.com")
    response = shop.post(URL, report(lms_user_id=learner.id, username="bob"))

    assert response.status_code == 400
    assert set(response.json()) == {"username"}
    assert not Subscription.objects.exists()


def test_a_report_naming_no_buyer_says_which_fields_name_one(shop):
    response = shop.post(URL, report(email=None))

    assert response.status_code == 400
    assert set(response.json()) == {"lms_user_id", "username", "email"}


def test_a_subscription_does_not_change_hands(shop, learner):
    UserFactory(username="bob", email="bob@example.com")
    shop.post(URL, report())
    response = shop.post(URL, report(email="bob@example.com"))

    assert response.status_code == 409
    assert Subscription.objects.get().lms_user_id == learner.id


@pytest.mark.parametrize(
    "field,value",
    [
        ("plan", "no-such-plan"),
        ("paid_until", moment(-1)),
        ("paid_until", moment(801)),
        ("paid_until", "2027-01-31T00:00:00"),  # no offset: which moment?
        ("paid_until", "2027-01-31"),
        ("paid_until", "2027-13-31T00:00:00Z"),
        ("paid_until", 1798675200),
        ("paid_until", None),
        ("status", "paused"),
        ("amount", "-1.00"),
        ("amount", "twelve"),
        ("currency", "dollars"),
        ("lms_user_id", "7"),
        ("lms_user_id", 2**40),
    ],
)
def test_bad_input_is_a_field_level_400_that_stores_nothing(shop, field, value, events):
    response = shop.post(URL, report(**{field: value}))  # None: the field left out

    assert response.status_code == 400
    assert field in response.json()
    assert not Subscription.objects.exists()
    assert not events


def test_an_amount_without_its_currency_is_refused(shop):
    response = shop.post(URL, report(currency=None))

    assert response.status_code == 400
    assert set(response.json()) == {"currency"}


def test_a_paid_until_at_the_limit_is_taken(shop, settings):
    settings.COMMERCE_PLUGIN_SUBSCRIPTION_MAX_PAID_DAYS = 400
    assert shop.post(URL, report(paid_until=moment(401))).status_code == 400
    assert shop.post(URL, report(paid_until=moment(399))).status_code == 201


def test_an_unsigned_report_is_401_and_a_learners_403(plan, learner, learner_client):
    assert APIClient().post(URL, report(), format="json").status_code == 401
    assert learner_client.post(URL, report(), format="json").status_code == 403
    assert not Subscription.objects.exists()


def test_staff_may_report_for_a_store(store, plan, learner, staff_client):
    response = staff_client.post(URL, report(), format="json")

    assert response.status_code == 201


def test_a_replayed_signed_report_is_409_and_cannot_undo_a_newer_one(store, plan, learner):
    active, now = report(), int(time.time())  # one clock reading: the replay is the first request's bytes
    assert SignedClient(store.secret, timestamp=now - 5).post(URL, active).status_code == 201
    ended = SignedClient(store.secret, timestamp=now - 4).post(URL, report(status="ended"))
    assert ended.status_code == 200

    replay = SignedClient(store.secret, timestamp=now - 5).post(URL, active)

    assert replay.status_code == 409
    assert not Subscription.objects.get().granting


def test_another_stores_signature_cannot_report_for_this_store(store, plan, learner):
    other = StoreFactory(slug="other", secret="other-secret-0123456789")
    response = Signer(other.secret).post(URL, report())

    assert response.status_code == 401
    assert not Subscription.objects.exists()


def test_a_store_reads_its_own_subscription_only(shop, store, plan):
    shop.post(URL, report())
    other = StoreFactory(slug="other", secret="other-secret-0123456789")

    read = shop.get(DETAIL)
    assert read.status_code == 200
    assert read.json()["granting"] is True
    assert Signer(other.secret).get(DETAIL).status_code == 401
    assert shop.get(f"{URL}shop/no-such-id/").json() == {"detail": "No such subscription."}


def test_an_unknown_plan_deleted_after_validation_stores_nothing(shop, monkeypatch):
    def deleted(report, authoritative=False):
        raise subscriptions.UnknownPlan("gone")

    monkeypatch.setattr(subscriptions, "record", deleted)
    response = shop.post(URL, report())

    assert (response.status_code, list(response.json())) == (400, ["plan"])


def test_a_v1_signature_over_the_body_alone_is_refused(store, plan, learner):
    body = json.dumps(report()).encode()
    header = authentication.sign_v1(store.secret, body)
    response = APIClient().post(URL, body, content_type="application/json", HTTP_X_COMMERCE_SIGNATURE=header)

    assert response.status_code == 401
    assert "v2" in response.json()["detail"]
    assert not Subscription.objects.exists()


def test_a_body_that_is_no_json_is_answered_in_json(staff_client):
    response = staff_client.generic("POST", URL, b"plan=all-access", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert "JSON" in response.json()["detail"]
