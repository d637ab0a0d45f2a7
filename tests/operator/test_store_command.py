"""
``commerce_store``, which an operator (or a Tutor init job) runs to create or update a store: its
signing secret (printed once, or taken from the environment and never shown, refused when short or
not the kind its source issues), its name, kind and state, its backfill credentials, its Shopify shop
domain and the mode its SKUs grant.
"""

import logging

import pytest
from django.core.management import CommandError

from commerce_plugin.intake import backfill
from commerce_plugin.models import Product, Store
from tests.operator.commands import PY101, run


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


def test_store_command_switches_the_receipt_email(db, no_env_secret):
    run("commerce_store", "books")
    assert Store.objects.get(slug="books").send_receipts  # a new store sends them

    _, notice = run("commerce_store", "books", "--no-send-receipts")
    assert not Store.objects.get(slug="books").send_receipts
    assert "Receipt emails off." in notice

    run("commerce_store", "books")  # not given: kept
    assert not Store.objects.get(slug="books").send_receipts

    _, notice = run("commerce_store", "books", "--send-receipts")
    assert Store.objects.get(slug="books").send_receipts
    assert "Receipt emails on." in notice


def test_store_command_takes_one_receipt_switch_at_a_time(db, no_env_secret):
    with pytest.raises(CommandError):
        run("commerce_store", "books", "--send-receipts", "--no-send-receipts")
    assert not Store.objects.filter(slug="books").exists()
