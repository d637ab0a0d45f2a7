"""
``commerce_plan`` creates and changes subscription plans (and lists them), refusing mistakes with a
message that says what is wrong; ``commerce_subscriptions`` lists subscriptions without buyers'
emails, and ``--lapse`` ends now the access of those past it.
"""

import re
from datetime import timedelta

import pytest
from django.core.management import CommandError
from django.utils import timezone

from commerce_plugin.models import Subscription, SubscriptionPlan
from tests.factories import UserFactory
from tests.operator.commands import PY101, run
from tests.subscription_records import ended, plan, subscribe

pytestmark = pytest.mark.django_db
YEARLY = [
    "commerce_plan",
    "yearly",
    "--name",
    "Yearly pass",
    "--course-run",
    PY101,
    "--course",
    "Org+DS201",
    "--org",
    "Acme",
    "--grace-days",
    "5",
    "--price",
    "price_y_usd:usd:490.00:year",
    "--price",
    "price_y_eur:EUR:450:year",
]


def test_the_command_creates_a_plan_with_what_it_covers_and_its_prices():
    out, _ = run(*YEARLY)

    yearly = SubscriptionPlan.objects.get(slug="yearly")
    assert (yearly.name, yearly.mode, yearly.grace_days, yearly.active) == ("Yearly pass", "verified", 5, True)
    assert yearly.covers(PY101) and yearly.covers("course-v1:Org+DS201+2030") and yearly.covers("course-v1:Acme+X+1")
    assert not yearly.covers("course-v1:Org+PY101+2030")  # only that run of PY101
    assert sorted(yearly.prices.values_list("stripe_price_id", "currency", "amount")) == [
        ("price_y_eur", "eur", 450),
        ("price_y_usd", "usd", 490),
    ]
    assert "Plan 'yearly' created" in out and "490.00 USD/year (price_y_usd)" in out


def test_running_it_again_changes_only_what_is_given_and_replaces_the_prices():
    run(*YEARLY)

    out, _ = run("commerce_plan", "yearly", "--price", "price_y_gbp:gbp:399.00:year", "--inactive")

    yearly = SubscriptionPlan.objects.get(slug="yearly")
    assert (yearly.name, yearly.grace_days, yearly.active) == ("Yearly pass", 5, False)
    assert yearly.covers(PY101)  # coverage untouched
    assert list(yearly.prices.values_list("stripe_price_id", flat=True)) == ["price_y_gbp"]
    assert "Plan 'yearly' saved" in out and "inactive" in out


def test_the_same_line_twice_changes_nothing():
    run(*YEARLY)
    before = list(SubscriptionPlan.objects.get().prices.values_list("pk", "stripe_price_id", "amount"))

    run(*YEARLY)

    assert list(SubscriptionPlan.objects.get().prices.values_list("pk", "stripe_price_id", "amount")) == before


@pytest.mark.parametrize(
    "args, words",
    [
        (["--course-run", "course-v1:Org+PY101"], "Not a course run id"),
        (["--course", "Org"], "Not a course as Org+Number"),
        (["--org", "Org", "--price", "price_1:dollars:49.00:month"], "not a three-letter ISO 4217 code"),
        (["--org", "Org", "--price", "price_1:usd:49,00:month"], "is not an amount"),
        (["--org", "Org", "--price", "price_1:usd:49.00:fortnight"], "the interval is one of"),
        (["--org", "Org", "--price", "price_1-usd-49.00"], "is not <stripe price id>:<currency>:<amount>:<interval>"),
        (["--org", "Org", "--mode", ""], "is not a course mode"),
        ([], "must cover something"),
    ],
)
def test_a_mistake_is_refused_saying_what_is_wrong_and_nothing_is_stored(args, words):
    with pytest.raises(CommandError, match=re.escape(words)):
        run("commerce_plan", "monthly", "--name", "Monthly", *args)
    assert not SubscriptionPlan.objects.exists()


def test_a_plan_granting_a_free_mode_or_a_mode_its_runs_do_not_offer_is_refused(course):
    with pytest.raises(CommandError, match=re.escape("'audit' is the mode learners get without paying")):
        run("commerce_plan", "monthly", "--name", "Monthly", "--org", "Org", "--mode", "audit")
    with pytest.raises(CommandError, match=re.escape("offers 'verifed' (they offer: audit, verified)")):
        run("commerce_plan", "monthly", "--name", "Monthly", "--course-run", PY101, "--mode", "verifed")
    assert not SubscriptionPlan.objects.exists()
    # A run the LMS does not know yet decides nothing; one that offers the mode is enough.
    run("commerce_plan", "monthly", "--name", "Monthly", "--course-run", PY101, "--course-run", "course-v1:Org+X+1")
    with pytest.raises(CommandError, match="offers 'professional'"):
        run("commerce_plan", "monthly", "--mode", "professional")
    assert SubscriptionPlan.objects.get().mode == "verified"


def test_a_new_plan_needs_a_name_and_a_price_of_another_plan_is_refused():
    with pytest.raises(CommandError, match="needs a name"):
        run("commerce_plan", "monthly", "--org", "Org")
    run(*YEARLY)
    with pytest.raises(CommandError, match="price_y_usd already belongs to plan 'yearly'"):
        run("commerce_plan", "monthly", "--name", "Monthly", "--org", "Org", "--price", "price_y_usd:usd:49:month")
    assert list(SubscriptionPlan.objects.values_list("slug", flat=True)) == ["yearly"]


def test_the_list_shows_each_plan_and_how_many_it_grants():
    plan()
    plan("data-pass", name="Data pass")
    subscribe(UserFactory(username="ada").id, "sub_ada")

    out, _ = run("commerce_plan", "--list")

    lines = out.splitlines()
    assert lines[0].startswith("all-access: All-access pass, active") and lines[0].endswith("; 1 granting")
    assert lines[1].startswith("data-pass: Data pass") and lines[1].endswith("; 0 granting")
    assert lines[-1] == "2 plans"


def test_subscriptions_are_listed_with_their_state_and_no_email():
    plan()
    ada = UserFactory(username="ada", email="ada@example.com")
    sub = subscribe(ada.id, "sub_ada", email="ada@example.com")
    ended(subscribe(UserFactory(username="bob").id, "sub_bob"))

    everything, _ = run("commerce_subscriptions")
    granting, _ = run("commerce_subscriptions", "--granting", "--plan", "all-access")

    assert "stripe-shop/sub_ada" in everything and "stripe-shop/sub_bob" in everything
    assert everything.splitlines()[-1] == "2 subscriptions"
    assert "@" not in everything
    (row,) = [line for line in granting.splitlines() if "sub_" in line]
    assert row.split()[:5] == ["stripe-shop/sub_ada", "all-access", str(ada.id), "active", "yes"]
    assert timezone.localtime(sub.access_until).strftime("%Y-%m-%d") in row


def test_lapse_ends_the_access_of_subscriptions_past_it_and_lists_them():
    plan()
    over = subscribe(UserFactory(username="ada").id, "sub_ada")
    Subscription.objects.filter(pk=over.pk).update(access_until=timezone.now() - timedelta(minutes=1))
    subscribe(UserFactory(username="bob").id, "sub_bob")

    out, _ = run("commerce_subscriptions", "--lapse")
    again, _ = run("commerce_subscriptions", "--lapse")

    assert "stripe-shop/sub_ada" in out and "sub_bob" not in out
    assert out.splitlines()[-1] == "1 subscription ended"
    assert list(Subscription.objects.filter(granting=True).values_list("external_id", flat=True)) == ["sub_bob"]
    assert again.splitlines() == ["0 subscriptions ended"]


def test_the_subscriptions_command_refuses_an_unknown_plan():
    with pytest.raises(CommandError, match="No plan 'nope'"):
        run("commerce_subscriptions", "--plan", "nope")
