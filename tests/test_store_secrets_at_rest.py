"""
Store signing secrets and API credentials are encrypted in the database (Fernet), so a database dump
or a read-only SQL account does not hand out the keys to sign orders or read the shops' APIs.
"""

import importlib
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.db import connection

from commerce_plugin.models import Store
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

SECRET = "whsec_0123456789abcdefghijklmnopqrstuv"
API_KEY = "ck_0123456789abcdef0123456789abcdef0123abcd"
API_SECRET = "cs_0123456789abcdef0123456789abcdef0123abcd"
FIELDS = ("secret", "api_key", "api_secret")
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def raw(store):
    """The three columns as the database holds them, read past the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(FIELDS)} FROM commerce_plugin_store WHERE id = %s", [store.pk])
        return dict(zip(FIELDS, cursor.fetchone(), strict=True))


def write_raw(store, **columns):
    """What a row saved before encryption (or by hand) holds."""
    with connection.cursor() as cursor:
        assignments = ", ".join(f"{name} = %s" for name in columns)
        cursor.execute(f"UPDATE commerce_plugin_store SET {assignments} WHERE id = %s", [*columns.values(), store.pk])


def make_store():
    return StoreFactory(slug="woo", kind="woocommerce", secret=SECRET, api_key=API_KEY, api_secret=API_SECRET)


def test_the_database_holds_no_secret_in_clear_and_the_store_reads_them_back():
    store = make_store()

    columns = raw(store)
    for field, value in zip(FIELDS, (SECRET, API_KEY, API_SECRET), strict=True):
        assert value not in columns[field]
        assert columns[field].startswith("fernet:")
    fresh = Store.objects.get(pk=store.pk)
    assert (fresh.secret, fresh.api_key, fresh.api_secret) == (SECRET, API_KEY, API_SECRET)
    assert Store.objects.filter(pk=store.pk).values_list("secret", flat=True).get() == SECRET


def test_an_empty_credential_stays_empty():
    store = StoreFactory(slug="bare", secret=SECRET)

    assert (raw(store)["api_key"], raw(store)["api_secret"]) == ("", "")
    assert Store.objects.get(pk=store.pk).api_key == ""


def test_a_row_written_in_clear_before_encryption_still_reads():
    store = make_store()
    write_raw(store, secret=SECRET, api_key=API_KEY)

    fresh = Store.objects.get(pk=store.pk)

    assert (fresh.secret, fresh.api_key, fresh.api_secret) == (SECRET, API_KEY, API_SECRET)


def test_the_longest_secret_the_forms_take_fits_its_column_encrypted():
    longest = "é" * 255  # the worst case: two bytes a character before encryption
    store = StoreFactory(slug="long", secret=longest)

    assert len(raw(store)["secret"]) <= Store._meta.get_field("secret").max_length
    assert Store.objects.get(pk=store.pk).secret == longest


def test_a_secret_longer_than_the_forms_take_is_refused_by_validation():
    store = Store(slug="long", name="Long", secret="s" * 256)

    with pytest.raises(ValidationError) as raised:
        store.full_clean()
    assert "secret" in raised.value.message_dict


def test_a_secret_encrypted_with_a_key_no_longer_configured_is_a_clear_configuration_error(settings):
    settings.COMMERCE_PLUGIN_SECRET_KEYS = [OLD_KEY]
    store = make_store()
    settings.COMMERCE_PLUGIN_SECRET_KEYS = [NEW_KEY]

    with pytest.raises(ImproperlyConfigured, match="COMMERCE_PLUGIN_SECRET_KEYS") as raised:
        Store.objects.get(pk=store.pk)
    assert "Store.secret" in str(raised.value)
    assert SECRET not in str(raised.value)


def test_keys_rotate_the_first_encrypts_all_decrypt_and_the_command_re_encrypts(settings):
    settings.COMMERCE_PLUGIN_SECRET_KEYS = [OLD_KEY]
    store = make_store()
    write_raw(StoreFactory(slug="legacy", secret=SECRET), secret=SECRET)  # one still in clear
    settings.COMMERCE_PLUGIN_SECRET_KEYS = [NEW_KEY, OLD_KEY]
    assert Store.objects.get(pk=store.pk).api_key == API_KEY

    out = StringIO()
    call_command("commerce_rotate_secret_keys", stdout=out)

    assert "2 stores" in out.getvalue()
    settings.COMMERCE_PLUGIN_SECRET_KEYS = [NEW_KEY]
    assert [(s.slug, s.secret) for s in Store.objects.order_by("slug")] == [("legacy", SECRET), ("woo", SECRET)]
    assert Store.objects.get(pk=store.pk).api_secret == API_SECRET
    assert all(value.startswith("fernet:") for value in raw(Store.objects.get(slug="legacy")).values() if value)


def test_a_passphrase_is_a_key_too(settings):
    settings.COMMERCE_PLUGIN_SECRET_KEYS = ["a long passphrase only the operators know, not a Fernet key"]
    store = make_store()

    assert SECRET not in raw(store)["secret"]
    assert Store.objects.get(pk=store.pk).secret == SECRET


def test_by_default_the_key_comes_from_django_secret_key_and_follows_its_fallbacks(settings):
    settings.COMMERCE_PLUGIN_SECRET_KEYS = None
    settings.SECRET_KEY = "the-lms-secret-key-before-rotation"
    store = make_store()

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "the-lms-secret-key-after-rotation", []
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        Store.objects.get(pk=store.pk)
    settings.SECRET_KEY_FALLBACKS = ["the-lms-secret-key-before-rotation"]
    assert Store.objects.get(pk=store.pk).secret == SECRET


def test_the_migration_encrypts_rows_in_clear_and_its_reverse_decrypts_them():
    migration = importlib.import_module("commerce_plugin.migrations.0010_store_secrets_encrypted")
    store = make_store()
    write_raw(store, secret=SECRET, api_key=API_KEY, api_secret=API_SECRET)

    migration.encrypt_secrets(apps, None)
    assert all(value.startswith("fernet:") for value in raw(store).values())
    assert Store.objects.get(pk=store.pk).secret == SECRET

    migration.decrypt_secrets(apps, None)
    assert raw(store) == {"secret": SECRET, "api_key": API_KEY, "api_secret": API_SECRET}
