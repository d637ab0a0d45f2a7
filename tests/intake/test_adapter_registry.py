"""
Store adapters are an extension point: the registry reads the ``commerce_plugin.intake.stores`` entry points,
and the example package (examples/commerce-plugin-razorpay), installed only through its entry point,
becomes a store kind everywhere an operator chooses or sees one, and takes webhooks.
"""

import json
import re
import subprocess
import sys
from importlib.metadata import EntryPoint
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from commerce_plugin.admin.stores import StoreForm
from commerce_plugin.intake import stores
from commerce_plugin.intake.stores import registry
from commerce_plugin.intake.stores.signing import hex_hmac
from commerce_plugin.lms.local.models import LocalEnrollment
from commerce_plugin.management.commands.commerce_store import Command as StoreCommand
from commerce_plugin.models import ProductPrice, Store, WebhookDelivery
from tests.factories import ProductFactory, StoreFactory

REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLE = REPOSITORY / "examples" / "commerce-plugin-razorpay"
PY101 = "course-v1:Org+PY101+2026"
GROUP = "commerce_plugin.stores"


@pytest.fixture
def entry_points(monkeypatch):
    """Replace the installed entry points with these (``name = value`` strings); the cache is emptied around."""

    def install(*specs):
        found = [EntryPoint(*(part.strip() for part in spec.split("=")), GROUP) for spec in specs]
        monkeypatch.setattr(registry, "_entry_points", lambda: found)
        stores.adapters.cache_clear()

    yield install
    stores.adapters.cache_clear()


class NotAnAdapter:
    kind = "broken"


class Misnamed(stores.Adapter):
    kind = "razorpay"


class Generic(stores.Adapter):
    kind = "generic"


NOT_AN_ADAPTER = NotAnAdapter()
MISNAMED = Misnamed()
GENERIC = Generic()


def test_the_built_in_adapters_and_the_example_are_registered_by_entry_point():
    assert {"woocommerce", "shopify", "stripe", "razorpay"} <= set(stores.adapters())
    from commerce_plugin_razorpay import ADAPTER

    assert stores.get_adapter("razorpay") is ADAPTER
    assert stores.get_adapter("generic") is None
    packages = stores.adapter_packages()
    assert packages["razorpay"].startswith("commerce-plugin-razorpay ")
    assert packages["woocommerce"].startswith("commerce-plugin ")


def test_the_registry_is_read_once():
    assert stores.adapters() is stores.adapters()


def test_admins_kind_choices_are_generic_and_the_installed_adapters():
    choices = dict(StoreForm().fields["kind"].choices)

    assert list(choices)[0] == "generic"
    assert {"woocommerce", "shopify", "stripe", "razorpay"} <= set(choices)
    assert str(choices["razorpay"]) == "Razorpay"


def test_a_store_of_a_kind_no_longer_installed_keeps_its_kind_in_the_form(db):
    store = StoreFactory(slug="old", kind="paypal")

    choices = dict(StoreForm(instance=store).fields["kind"].choices)

    assert "not installed" in str(choices["paypal"])


def test_admins_add_page_offers_the_razorpay_kind(admin_client):
    page = admin_client.get("/admin/commerce_plugin/store/add/").content.decode()

    assert '<option value="razorpay">Razorpay</option>' in page


def test_commerce_store_takes_the_installed_kinds_and_refuses_others(db, monkeypatch):
    parser = StoreCommand().create_parser("manage.py", "commerce_store")
    kind = next(action for action in parser._actions if action.dest == "kind")
    assert {"generic", "woocommerce", "shopify", "stripe", "razorpay"} <= set(kind.choices)

    monkeypatch.setenv("COMMERCE_STORE_SECRET", "rzp-webhook-secret-0123456789")
    call_command("commerce_store", "rzp", "--kind", "razorpay", stdout=StringIO(), stderr=StringIO())
    assert Store.objects.get(slug="rzp").kind == "razorpay"
    with pytest.raises(CommandError, match="invalid choice: 'paypal'"):
        call_command("commerce_store", "pp", "--kind", "paypal", stdout=StringIO(), stderr=StringIO())


def test_commerce_routes_and_the_dashboard_name_the_example_and_its_package(admin_client):
    out = StringIO()
    call_command("commerce_routes", stdout=out)
    assert "razorpay (commerce-plugin-razorpay 0.1.0)" in out.getvalue()

    page = admin_client.get("/admin/commerce_plugin/").content.decode()
    assert "<code>razorpay</code> (commerce-plugin-razorpay 0.1.0)" in page


def send(client, store, payload, signature=None):
    body = json.dumps(payload).encode()
    headers = {
        "HTTP_X_RAZORPAY_EVENT_ID": "evt_1",
        "HTTP_X_RAZORPAY_SIGNATURE": signature or hex_hmac(store.secret, body),
    }
    return client.post(
        f"/commerce-plugin/webhooks/{store.slug}/", data=body, content_type="application/json", **headers
    )


def captured(email="ada@example.com", sku="PY101"):
    payment = {
        "id": "pay_1",
        "order_id": "order_1",
        "amount": 490000,
        "currency": "INR",
        "notes": {"email": email, "sku": sku},
    }
    return {"entity": "event", "event": "payment.captured", "payload": {"payment": {"entity": payment}}}


@pytest.fixture
def razorpay_store(db, course):
    store = StoreFactory(slug="rzp", kind="razorpay", secret="rzp-webhook-secret-0123456789")
    product = ProductFactory(store=store, sku="PY101", seats=[(PY101, "verified")])
    ProductPrice.objects.create(product=product, currency="inr", amount=4900)  # what the payment's 490000 paise pay
    return store


@pytest.mark.django_db(transaction=True)
def test_a_signed_razorpay_delivery_enrolls_the_buyer(client, razorpay_store, learner):
    response = send(client, razorpay_store, captured())

    assert response.status_code == 200, response.content
    assert response.json()["verdict"] == "accepted"
    enrollment = LocalEnrollment.objects.get(user=learner)
    assert (enrollment.course.course_id, enrollment.mode, enrollment.is_active) == (PY101, "verified", True)


@pytest.mark.django_db(transaction=True)
def test_a_razorpay_delivery_with_a_bad_signature_is_401(client, razorpay_store, learner):
    response = send(client, razorpay_store, captured(), signature="0" * 64)

    assert response.status_code == 401
    assert WebhookDelivery.objects.get(store=razorpay_store).verdict == "rejected"
    assert not LocalEnrollment.objects.exists()


def test_the_examples_tests_stand_on_the_examples_own_configuration():
    """
    ``make test`` runs the example's tests (so they pass) in this repository's session, where this
    repository's pytest configuration and test plugins are loaded, and their fixtures are found too.
    A package of its own has only its own ``pytest.ini`` (the command its README gives): under it,
    every test module still imports and every fixture each test asks for is found. ``--setup-plan``
    resolves them all without running the suite a second time.
    """
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--setup-plan", "-p", "no:randomly", str(EXAMPLE / "tests")],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert f"rootdir: {EXAMPLE}\nconfigfile: pytest.ini\n" in output, output[:1000]
    planned = re.findall(r"^ +tests/test_\w+\.py::\S+ \(fixtures used: ", output, re.MULTILINE)
    assert planned and f"collected {len(planned)} items" in output, output[-3000:]


# The registry fails loudly, naming the entry point (and its package when it has one).


def test_an_entry_point_named_otherwise_than_its_adapters_kind_is_refused(entry_points):
    entry_points(f"paypal = {__name__}:MISNAMED")

    with pytest.raises(
        ImproperlyConfigured, match=r"'paypal = tests.intake.test_adapter_registry:MISNAMED' has kind 'razorpay'"
    ):
        stores.adapters()


def test_an_entry_point_that_cannot_be_imported_is_refused_naming_it(entry_points):
    entry_points("paypal = commerce_plugin_paypal:ADAPTER")

    with pytest.raises(
        ImproperlyConfigured, match=r"cannot load store adapter 'paypal = commerce_plugin_paypal:ADAPTER'"
    ):
        stores.adapters()


def test_an_entry_point_that_is_not_an_adapter_is_refused(entry_points):
    entry_points(f"broken = {__name__}:NOT_AN_ADAPTER")

    with pytest.raises(
        ImproperlyConfigured, match="is a NotAnAdapter, not an instance of commerce_plugin.stores.Adapter"
    ):
        stores.adapters()


def test_the_generic_kind_cannot_be_taken(entry_points):
    entry_points(f"generic = {__name__}:GENERIC")

    with pytest.raises(ImproperlyConfigured, match="means API-only stores"):
        stores.adapters()


def test_a_kind_registered_twice_is_refused(entry_points):
    entry_points("razorpay = commerce_plugin_razorpay:ADAPTER", "razorpay = commerce_plugin_razorpay:ADAPTER")

    with pytest.raises(ImproperlyConfigured, match="'razorpay' is registered twice"):
        stores.adapters()


def test_the_package_of_an_installed_entry_point_is_named(entry_points, monkeypatch):
    (installed,) = [ep for ep in registry._entry_points() if ep.name == "razorpay"]
    # The installed entry point, pointed at a name its module lacks (``_for`` keeps its package).
    broken = EntryPoint("razorpay", "commerce_plugin_razorpay:MISSING", GROUP)._for(installed.dist)
    monkeypatch.setattr(registry, "_entry_points", lambda: [broken])
    stores.adapters.cache_clear()

    with pytest.raises(ImproperlyConfigured, match=r"\(package commerce-plugin-razorpay 0.1.0\): AttributeError"):
        stores.adapters()


def test_a_broken_adapter_stops_the_app_at_startup(entry_points):
    entry_points(f"paypal = {__name__}:MISNAMED")

    with pytest.raises(ImproperlyConfigured, match="paypal"):
        apps.get_app_config("commerce_plugin").ready()


def test_startup_loads_every_installed_adapter_under_its_entry_points_name():
    stores.adapters.cache_clear()

    apps.get_app_config("commerce_plugin").ready()

    assert stores.adapters.cache_info().currsize == 1  # ready() read the registry, deliveries will not
    loaded = stores.adapters()
    assert set(loaded) == {entry_point.name for entry_point in registry._entry_points()}
    assert {"woocommerce", "shopify", "stripe", "razorpay"} <= set(loaded)
    assert {kind: adapter.kind for kind, adapter in loaded.items()} == {kind: kind for kind in loaded}
