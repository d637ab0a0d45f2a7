"""
A store's API credentials go to the store's own API and nowhere else: HTTPS only (loopback aside),
no redirect followed off the configured host, and a new host needs the credentials typed again.
"""

from datetime import UTC, datetime
from io import StringIO

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from commerce_plugin.core import catalog
from commerce_plugin.intake import backfill
from commerce_plugin.intake.stores import config as store_config
from commerce_plugin.models import BackfillRun, Store
from tests.factories import StoreFactory
from tests.intake.backfill.fakes import FakeShopify, FakeWooCommerce
from tests.intake.stores.senders import SHOP_DOMAIN

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "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"
KEY = "ck_1111111122222222333333334444444455555555"
SECRET = "cs_5555555544444444333333332222222211111111"
NEW_KEY = "ck_aaaaaaaabbbbbbbbccccccccddddddddeeeeeeee"
NEW_SECRET = "cs_eeeeeeeeddddddddccccccccbbbbbbbbaaaaaaaa"
SINCE = datetime(2026, 3, 1, tzinfo=UTC)


def elsewhere(api, how):
    """Another origin on this machine: the same address on another server's port, or another host name."""
    return api.url if how == "another port" else api.url.replace("127.0.0.1", "localhost")


# Redirects: never off the configured host, so the credentials cannot follow one.


@pytest.mark.parametrize("how", ["another port", "another host name"])
def test_a_shopify_redirect_off_the_host_fails_the_run_and_the_token_never_reaches_the_other_server(fast_retries, how):
    with FakeShopify(TOKEN) as shop, FakeShopify(TOKEN) as other:
        shop.redirect_to = [elsewhere(other, how)]
        store = StoreFactory(slug="shopify", kind="shopify", shop_domain=SHOP_DOMAIN, api_url=shop.url, api_key=TOKEN)

        report = backfill.run(store, SINCE)

    assert other.requests == []
    (error,) = report.errors
    assert "redirect" in error and "not followed" in error
    assert BackfillRun.objects.get(pk=report.run_id).status == BackfillRun.FAILED


@pytest.mark.parametrize("how", ["another port", "another host name"])
def test_a_woocommerce_redirect_off_the_host_is_not_followed(fast_retries, how):
    with FakeWooCommerce(KEY, SECRET) as woo, FakeWooCommerce(KEY, SECRET) as other:
        woo.redirect_to = [elsewhere(other, how)]
        store = StoreFactory(slug="woo", kind="woocommerce", api_url=woo.url, api_key=KEY, api_secret=SECRET)

        report = backfill.run(store, SINCE)

    assert other.requests == []
    assert "redirect" in report.errors[0]


def test_a_redirect_on_the_same_host_is_followed_with_the_token(fast_retries):
    with FakeShopify(TOKEN) as shop:
        shop.redirect_to = [shop.url]
        store = StoreFactory(slug="shopify", kind="shopify", shop_domain=SHOP_DOMAIN, api_url=shop.url, api_key=TOKEN)

        report = backfill.run(store, SINCE)

    assert report.ok, report.errors
    assert len(shop.requests) == 4  # the redirect, then each of the three financial statuses
    assert {r["headers"]["x-shopify-access-token"] for r in shop.requests} == {TOKEN}


# HTTPS only, except loopback (the tests' fake APIs, the sandbox).


@pytest.mark.parametrize(
    "url", ["http://shop.example.com", "ftp://shop.example.com", "http://10.0.0.7", "http://localhost.example.com"]
)
def test_an_api_url_that_is_not_https_is_refused_when_saved(url):
    with pytest.raises(catalog.CatalogError, match=r"^api_url: .*HTTPS"):
        store_config.save_store("woo", kind="woocommerce", api={"api_url": url})
    assert not Store.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["https://shop.example.com", "http://127.0.0.1:8080", "http://127.1.2.3", "http://localhost:80", "http://[::1]:9"],
)
def test_https_and_loopback_api_urls_are_taken(url):
    store, _ = store_config.save_store("woo", kind="woocommerce", api={"api_url": url})

    assert store.api_url == url


def test_the_store_command_refuses_a_plain_http_api_url(monkeypatch):
    monkeypatch.delenv("COMMERCE_STORE_SECRET", raising=False)
    with pytest.raises(CommandError, match="api_url: .*HTTPS"):
        call_command(
            "commerce_store", "woo", "--kind", "woocommerce", "--api-url", "http://shop.example.com", stderr=StringIO()
        )
    assert not Store.objects.exists()


def test_the_admin_form_refuses_a_plain_http_api_url_on_that_field(admin_client):
    store = StoreFactory(slug="woo", kind="woocommerce", api_url="https://shop.example.com", api_key=KEY)

    response = admin_client.post(change_url(store), form(store, api_url="http://shop.example.com"))

    assert response.status_code == 200
    assert "HTTPS" in " ".join(response.context["adminform"].form.errors["api_url"])
    store.refresh_from_db()
    assert store.api_url == "https://shop.example.com"


def test_a_plain_http_api_url_saved_before_is_refused_at_backfill_time(fast_retries):
    # Written around the validation, as a store saved by an older version could be.
    store = StoreFactory(slug="woo", kind="woocommerce", api_url="http://shop.invalid", api_key=KEY, api_secret=SECRET)

    with pytest.raises(backfill.CannotBackfill, match="HTTPS"):
        backfill.run(store, SINCE)
    assert backfill.backfillable([store]) == []
    assert not BackfillRun.objects.exists()


def test_the_backfill_session_sends_nothing_over_plain_http_off_loopback(fast_retries):
    with pytest.raises(requests.RequestException, match="HTTPS"):
        backfill.http_session().get("http://shop.invalid/wp-json/wc/v3/orders")


# A new host needs the credentials again: the stored ones were given for the old one.


@pytest.fixture
def woo_store():
    store, _ = store_config.save_store(
        "woo", kind="woocommerce", api={"api_url": "https://shop.example.com", "api_key": KEY, "api_secret": SECRET}
    )
    return store


def stored(store):
    store.refresh_from_db()
    return store.api_url, store.api_key, store.api_secret


def test_a_new_api_host_without_new_credentials_is_refused_and_nothing_changes(woo_store):
    with pytest.raises(catalog.CatalogError, match=r"^api_url: .*again"):
        store_config.save_store("woo", api={"api_url": "https://attacker.example.net"})
    with pytest.raises(catalog.CatalogError, match=r"api_secret"):
        store_config.save_store("woo", api={"api_url": "https://attacker.example.net", "api_key": NEW_KEY})

    assert stored(woo_store) == ("https://shop.example.com", KEY, SECRET)


def test_a_new_api_host_with_new_credentials_is_taken(woo_store):
    api = {"api_url": "https://new-shop.example.com", "api_key": NEW_KEY, "api_secret": NEW_SECRET}
    store_config.save_store("woo", api=api)

    assert stored(woo_store) == ("https://new-shop.example.com", NEW_KEY, NEW_SECRET)


def test_another_path_on_the_same_host_keeps_the_credentials(woo_store):
    store_config.save_store("woo", api={"api_url": "https://shop.example.com/shop/"})

    assert stored(woo_store) == ("https://shop.example.com/shop/", KEY, SECRET)


def test_the_store_command_refuses_a_new_api_host_without_the_credentials(woo_store, monkeypatch):
    for variable in ("COMMERCE_STORE_SECRET", "COMMERCE_STORE_API_KEY", "COMMERCE_STORE_API_SECRET"):
        monkeypatch.delenv(variable, raising=False)

    with pytest.raises(CommandError, match="COMMERCE_STORE_API_KEY"):
        call_command("commerce_store", "woo", "--api-url", "https://attacker.example.net", stderr=StringIO())
    assert stored(woo_store) == ("https://shop.example.com", KEY, SECRET)

    monkeypatch.setenv("COMMERCE_STORE_API_KEY", NEW_KEY)
    monkeypatch.setenv("COMMERCE_STORE_API_SECRET", NEW_SECRET)
    call_command("commerce_store", "woo", "--api-url", "https://new-shop.example.com", stderr=StringIO())
    assert stored(woo_store) == ("https://new-shop.example.com", NEW_KEY, NEW_SECRET)


def change_url(store):
    return reverse("admin:commerce_plugin_store_change", args=[store.pk])


def form(store, **changes):
    values = {"name": store.name, "kind": store.kind, "active": "on", "new_secret": "", "api_url": store.api_url}
    values.update(changes)
    return values


def test_the_admin_refuses_a_new_api_host_without_the_credentials_on_that_field(admin_client, woo_store):
    response = admin_client.post(change_url(woo_store), form(woo_store, api_url="https://attacker.example.net"))

    assert response.status_code == 200
    assert "again" in " ".join(response.context["adminform"].form.errors["api_url"])
    assert stored(woo_store) == ("https://shop.example.com", KEY, SECRET)


def test_the_admin_takes_a_new_api_host_with_new_credentials(admin_client, woo_store):
    changes = {"api_url": "https://new-shop.example.com", "new_api_key": NEW_KEY, "new_api_secret": NEW_SECRET}
    response = admin_client.post(change_url(woo_store), form(woo_store, **changes))

    assert response.status_code == 302, response.content
    assert stored(woo_store) == ("https://new-shop.example.com", NEW_KEY, NEW_SECRET)
