"""Management commands an operator (or a Tutor init job) runs: stores, SKUs, the sweeper, the route map."""

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from commerce_plugin.core import orders
from commerce_plugin.data import OrderData, OrderLineData
from commerce_plugin.intake import backfill
from commerce_plugin.lms.local.models import LocalCourse, LocalEnrollment
from commerce_plugin.models import OrderLine, Product, Store
from tests.factories import ProductFactory

PY101 = "course-v1:Org+PY101+2026"
DS201 = "course-v1:Org+DS201+2026"


def run(*args):
    """Run a command; return (stdout, stderr)."""
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def no_env_secret(monkeypatch):
    monkeypatch.delenv("COMMERCE_STORE_SECRET", raising=False)


def test_new_store_gets_a_secret_printed_once_and_not_on_a_rerun(db, no_env_secret, caplog):
    caplog.set_level(logging.DEBUG)
    first, _ = run("commerce_store", "shop", "--name", "The Shop")
    second, notice = run("commerce_store", "shop", "--name", "The Shop")
    store = Store.objects.get(slug="shop")
    assert first.strip() == store.secret
    assert len(store.secret) >= 32
    assert second == ""
    assert "saved" in notice
    assert store.secret not in caplog.text


def test_store_secret_comes_from_the_environment_and_is_never_printed(db, monkeypatch):
    monkeypatch.setenv("COMMERCE_STORE_SECRET", "from-the-env-0123456789")
    out, err = run("commerce_store", "shop")
    assert Store.objects.get(slug="shop").secret == "from-the-env-0123456789"
    assert "from-the-env" not in out + err
    rerun_out, _ = run("commerce_store", "shop")
    assert rerun_out == ""


def test_rerunning_with_the_same_environment_changes_nothing(db, monkeypatch):
    monkeypatch.setenv("COMMERCE_STORE_SECRET", "from-the-env-0123456789")
    run("commerce_store", "shop", "--name", "Shop")
    before = Store.objects.get(slug="shop").modified
    run("commerce_store", "shop", "--name", "Shop")
    assert Store.objects.get(slug="shop").modified == before


def test_store_command_updates_name_kind_and_state_but_keeps_the_secret(no_env_secret, store):
    out, _ = run("commerce_store", "shop", "--name", "Renamed", "--kind", "generic", "--inactive")
    store.refresh_from_db()
    assert (store.name, store.kind, store.active) == ("Renamed", "generic", False)
    assert store.secret == "shop-secret-0123456789"
    assert out == ""
    run("commerce_store", "shop", "--active")
    store.refresh_from_db()
    assert store.active


def test_rotating_prints_a_new_secret(no_env_secret, store):
    out, _ = run("commerce_store", "shop", "--rotate-secret")
    store.refresh_from_db()
    assert out.strip() == store.secret != "shop-secret-0123456789"


def test_a_different_secret_for_an_existing_store_is_refused_without_rotate_secret(store, monkeypatch):
    monkeypatch.setenv("COMMERCE_STORE_SECRET", "another-secret-0123456789")

    with pytest.raises(CommandError, match="--rotate-secret"):
        run("commerce_store", "shop", "--name", "Renamed")

    store.refresh_from_db()
    assert store.secret == "shop-secret-0123456789"
    assert store.name != "Renamed"  # nothing at all changed


def test_rotating_to_the_secret_from_the_environment_says_so(store, monkeypatch):
    monkeypatch.setenv("COMMERCE_STORE_SECRET", "another-secret-0123456789")

    out, err = run("commerce_store", "shop", "--rotate-secret")

    store.refresh_from_db()
    assert store.secret == "another-secret-0123456789"
    assert out == "" and "Signing secret replaced" in err


@pytest.mark.parametrize("secret", ["abc", "fifteen-chars!!"])
def test_a_short_secret_is_refused_with_the_minimum_length(db, monkeypatch, secret):
    monkeypatch.setenv("COMMERCE_STORE_SECRET", secret)

    with pytest.raises(CommandError, match="at least 16"):
        run("commerce_store", "shop")

    assert not Store.objects.exists()


@pytest.mark.parametrize("kind, where", [("shopify", "API secret key"), ("stripe", "whsec_")])
def test_shopify_and_stripe_stores_need_the_secret_their_source_issued(db, no_env_secret, kind, where):
    with pytest.raises(CommandError, match=where) as refused:
        run("commerce_store", kind, "--kind", kind)

    assert "COMMERCE_STORE_SECRET" in str(refused.value)
    assert not Store.objects.exists()


@pytest.mark.parametrize("secret", ["sk_live_0123456789abcdefghij", "a-made-up-secret-0123456789"])
def test_a_stripe_store_refuses_a_secret_that_is_not_its_webhook_signing_secret(db, monkeypatch, secret):
    monkeypatch.setenv("COMMERCE_STORE_SECRET", secret)

    with pytest.raises(CommandError, match="whsec_") as refused:
        run("commerce_store", "stripe", "--kind", "stripe")

    assert "COMMERCE_STORE_SECRET" in str(refused.value)
    assert not Store.objects.exists()


def test_turning_a_store_into_a_stripe_store_needs_its_signing_secret(no_env_secret, store):
    with pytest.raises(CommandError, match="whsec_"):
        run("commerce_store", "shop", "--kind", "stripe")

    store.refresh_from_db()
    assert store.kind == "generic"


def test_a_stripe_store_made_by_checkout_takes_its_signing_secret(db, monkeypatch):
    Store.objects.create(slug="stripe", name="Stripe", kind="stripe")  # as the first checkout makes it
    monkeypatch.setenv("COMMERCE_STORE_SECRET", "whsec_0123456789abcdefghijklmnop")

    out, _ = run("commerce_store", "stripe", "--kind", "stripe")

    assert Store.objects.get(slug="stripe").secret == "whsec_0123456789abcdefghijklmnop"
    assert out == ""


def test_store_command_refuses_an_unknown_kind(db, no_env_secret):
    with pytest.raises(CommandError, match="magento"):
        run("commerce_store", "shop", "--kind", "magento")


def test_store_command_sets_the_backfill_credentials_from_the_environment_and_never_shows_them(
    db, no_env_secret, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("COMMERCE_STORE_API_KEY", "ck_from_the_env_0123456789")
    monkeypatch.setenv("COMMERCE_STORE_API_SECRET", "cs_from_the_env_0123456789")
    run("commerce_store", "woo", "--kind", "woocommerce", "--api-url", "https://shop.example.com")
    store = Store.objects.get(slug="woo")
    assert (store.api_url, store.api_key, store.api_secret) == (
        "https://shop.example.com",
        "ck_from_the_env_0123456789",
        "cs_from_the_env_0123456789",
    )
    assert backfill.backfillable([store]) == [store]
    assert "from_the_env" not in caplog.text

    monkeypatch.delenv("COMMERCE_STORE_API_KEY")
    monkeypatch.delenv("COMMERCE_STORE_API_SECRET")
    run("commerce_store", "woo")  # a rerun without them keeps them
    assert Store.objects.get(slug="woo").api_key == "ck_from_the_env_0123456789"

    run("commerce_store", "woo", "--clear-api-credentials")
    store = Store.objects.get(slug="woo")
    assert (store.api_url, store.api_key, store.api_secret) == ("", "", "")


def test_store_command_refuses_an_api_url_that_is_no_url(db, no_env_secret):
    with pytest.raises(CommandError, match="api_url"):
        run("commerce_store", "woo", "--kind", "woocommerce", "--api-url", "shop.example.com")
    assert not Store.objects.filter(slug="woo").exists()


def test_product_command_maps_a_bundle_in_order(store, course, other_course):
    out, _ = run(
        "commerce_product",
        "shop",
        "DATA-BUNDLE",
        "--seat",
        f"{PY101}:verified",
        "--seat",
        f"{DS201}:audit",
        "--title",
        "Data bundle",
    )
    product = Product.objects.get(store=store, sku="DATA-BUNDLE")
    assert product.title == "Data bundle"
    assert list(product.seats.values_list("course_id", "mode")) == [(PY101, "verified"), (DS201, "audit")]
    assert "DATA-BUNDLE" in out


def test_product_command_replaces_the_seats_of_an_existing_sku(store, course, other_course):
    ProductFactory(store=store, sku="PY", seats=[(PY101, "audit"), (DS201, "audit")])
    run("commerce_product", "shop", "PY", "--seat", f"{PY101}:verified")
    assert list(Product.objects.get(sku="PY").seats.values_list("course_id", "mode")) == [(PY101, "verified")]


def test_product_command_names_a_mode_the_course_does_not_offer(store, course):
    with pytest.raises(CommandError, match="'professional'"):
        run("commerce_product", "shop", "PY", "--seat", f"{PY101}:professional")
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    "store_slug, seat, message",
    [
        ("nope", f"{PY101}:verified", "No store 'nope'"),
        ("shop", "not-a-key:verified", "not a course run key"),
        ("shop", "course-v1:Org+NOPE+2026:verified", "does not exist"),
        ("shop", "verified", "is not <course_id>:<mode>"),
    ],
)
def test_product_command_explains_what_is_wrong(store, course, store_slug, seat, message):
    with pytest.raises(CommandError, match=message):
        run("commerce_product", store_slug, "PY", "--seat", seat)


@pytest.fixture
def stuck_line(store, course, learner):
    """A line accepted while no worker ran (on_commit never fires here) and untouched for an hour."""
    lines = [OrderLineData("1", PY101, "verified")]
    orders.accept_order(OrderData(store="shop", order_number="1001", lines=lines, email=learner.email))
    line = OrderLine.objects.get()
    OrderLine.objects.filter(pk=line.pk).update(modified=timezone.now() - timedelta(hours=1))
    return line


class Terminal(StringIO):
    """An output that says it is a terminal, as an operator's shell is."""

    def isatty(self):
        return True


def test_sweep_on_a_terminal_counts_and_summarises_on_stdout_not_as_an_error(stuck_line, learner):
    out, err = Terminal(), Terminal()

    call_command("commerce_sweep", "--older-than", "600", stdout=out, stderr=err)

    assert err.getvalue() == ""
    assert "re-queued: 1" in out.getvalue()
    assert out.getvalue().endswith("1 line re-queued\n")


def test_sweep_dry_run_changes_nothing(stuck_line):
    out, _ = run("commerce_sweep", "--older-than", "600", "--dry-run")
    assert "would re-queue 1 line" in out
    stuck_line.refresh_from_db()
    assert stuck_line.status == "queued"
    assert not LocalEnrollment.objects.exists()


def test_sweep_fulfils_a_line_left_queued(stuck_line, learner):
    out, _ = run("commerce_sweep", "--older-than", "600")
    assert "1 line re-queued" in out
    stuck_line.refresh_from_db()
    assert stuck_line.status == "fulfilled"
    assert LocalEnrollment.objects.get(user=learner).mode == "verified"


def test_sweep_leaves_recent_lines_alone(stuck_line):
    out, _ = run("commerce_sweep", "--older-than", "7200")
    assert "0 lines re-queued" in out
    stuck_line.refresh_from_db()
    assert stuck_line.status == "queued"


def test_routes_command_prints_the_mermaid_map(db):
    out, _ = run("commerce_routes", "--format", "mermaid")
    assert out.startswith("flowchart LR")
    assert "org.openedx.commerce.order.placed.v1" in out
    assert "commerce_plugin.tasks.fulfill_line" in out


def test_local_course_command_creates_a_run_with_priced_modes(db):
    out, _ = run(
        "commerce_local_course",
        PY101,
        "--title",
        "Python",
        "--mode",
        "audit",
        "--mode",
        "verified:49.00:USD",
        "--max",
        "30",
    )
    course = LocalCourse.objects.get(course_id=PY101)
    assert (course.title, course.enrollment_open, course.max_enrollments) == ("Python", True, 30)
    modes = {mode.mode_slug: (str(mode.price), mode.currency) for mode in course.modes.all()}
    assert modes == {"audit": ("0.00", "usd"), "verified": ("49.00", "usd")}
    assert "created" in out


def test_local_course_command_updates_a_run(course):
    run("commerce_local_course", course.course_id, "--closed", "--mode", "professional:99")
    course.refresh_from_db()
    assert not course.enrollment_open
    assert list(course.modes.values_list("mode_slug", flat=True)) == ["professional"]
    run("commerce_local_course", course.course_id, "--open")
    course.refresh_from_db()
    assert course.enrollment_open
    assert list(course.modes.values_list("mode_slug", flat=True)) == ["professional"]


def test_local_course_command_refuses_a_malformed_key_or_price(db):
    with pytest.raises(CommandError, match="not a course run key"):
        run("commerce_local_course", "PY101")
    with pytest.raises(CommandError, match="not a price"):
        run("commerce_local_course", PY101, "--mode", "verified:cheap")


def test_a_new_store_made_by_command_accepts_products(db, no_env_secret, course):
    run("commerce_store", "books")
    run("commerce_product", "books", "PY", "--seat", f"{PY101}:verified")
    assert Product.objects.get(store__slug="books").seats.count() == 1
    assert Store.objects.get(slug="books").secret


def test_store_command_sets_the_shopify_shop_domain(db, monkeypatch):
    monkeypatch.setenv("COMMERCE_STORE_SECRET", "shpss_0123456789abcdef0123456789abcdef")
    run("commerce_store", "shopify-shop", "--kind", "shopify", "--shop-domain", "learn.myshopify.com")

    store = Store.objects.get(slug="shopify-shop")
    assert (store.kind, store.shop_domain) == ("shopify", "learn.myshopify.com")


def test_store_command_sets_the_mode_course_key_skus_grant(db, no_env_secret):
    run("commerce_store", "books", "--default-mode", "professional")
    assert Store.objects.get(slug="books").default_mode == "professional"

    run("commerce_store", "books")  # not given: kept
    assert Store.objects.get(slug="books").default_mode == "professional"
