"""
Secrets encrypted at rest: a store's signing secret and API credentials are sent with every order or
backfill, so a database dump, a backup or a read-only SQL account must not hand them out.

:class:`EncryptedCharField` stores ``fernet:<token>`` (``cryptography``'s Fernet: AES-128-CBC with an
HMAC-SHA256, a fresh IV per value) and gives the plain text back when read, so every reader of
``store.secret`` works unchanged. A value without the prefix was written before encryption and reads
as it is (migration 0010 encrypts those; so does ``commerce_rotate_secret_keys``).

The keys are ``COMMERCE_PLUGIN_SECRET_KEYS``: the first encrypts, every one decrypts, so a new key
goes first and the old one stays until ``commerce_rotate_secret_keys`` has re-encrypted every store.
Each is a Fernet key (``Fernet.generate_key()``) or a passphrase, stretched to one with HKDF-SHA256.
Unset, the key is derived from Django's ``SECRET_KEY`` (decrypting with ``SECRET_KEY_FALLBACKS``
too), so rotating ``SECRET_KEY`` the way Django documents keeps the secrets readable.

Encrypted values differ every time they are written: they cannot be looked up by equality
(``filter(secret=...)`` never matches), and nothing here does.
"""

import base64
import binascii
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.validators import MaxLengthValidator
from django.db import models

__all__ = ["PREFIX", "EncryptedCharField", "decrypt", "encrypt"]

PREFIX = "fernet:"
SETTING = "COMMERCE_PLUGIN_SECRET_KEYS"
# Binds the derived key to this use: the same passphrase (or SECRET_KEY) elsewhere gives another key.
HKDF_INFO = b"commerce_plugin: store secrets at rest, v1"


def encrypt(text):
    """``fernet:<token>`` of ``text`` with the first key; empty stays empty (nothing to hide)."""
    if not text:
        return text
    return PREFIX + _box()[0].encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(stored, what="A stored secret"):
    """
    The plain text of ``stored``: decrypted when it carries the prefix, else as written before
    encryption. A token no configured key opens raises :class:`ImproperlyConfigured`, never garbage.
    """
    if not stored or not stored.startswith(PREFIX):
        return stored
    box, source = _box()
    try:
        return box.decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise ImproperlyConfigured(
            f"{what} could not be decrypted with {source}: it was encrypted with a key that is no longer "
            f"configured. Put that key back in {SETTING}, after the current one, and run "
            "commerce_rotate_secret_keys; or enter the secret again."
        ) from exc


def _box():
    """The keys in use (a ``MultiFernet``) and where they come from, for the error message."""
    configured = getattr(settings, SETTING, None)
    if isinstance(configured, str | bytes):
        configured = [configured]
    if configured:
        return _multi_fernet(tuple(configured), derive_all=False), f"any key of {SETTING}"
    keys = (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))
    source = f"the key derived from SECRET_KEY or SECRET_KEY_FALLBACKS ({SETTING} is unset)"
    return _multi_fernet(tuple(keys), derive_all=True), source


@functools.lru_cache(maxsize=8)
def _multi_fernet(materials, derive_all):
    return MultiFernet([Fernet(_key(material, derive_all)) for material in materials])


def _key(material, derive):
    """A Fernet key as given, else one derived from the passphrase (always, for Django's SECRET_KEY)."""
    if not isinstance(material, str | bytes) or not material:
        raise ImproperlyConfigured(f"{SETTING} holds Fernet keys or passphrases (non-empty strings).")
    raw = material.encode("utf-8") if isinstance(material, str) else material
    if not derive:
        try:
            Fernet(raw)
            return raw
        except (ValueError, binascii.Error):
            pass  # a passphrase
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(raw)
    return base64.urlsafe_b64encode(derived)


def ciphertext_length(characters):
    """The longest ``fernet:<token>`` of ``characters`` characters (4 UTF-8 bytes each, at worst)."""
    padded = (characters * 4 // 16 + 1) * 16  # AES-CBC with PKCS7 padding
    token = 1 + 8 + 16 + padded + 32  # version, timestamp, IV, ciphertext, HMAC
    return len(PREFIX) + 4 * -(-token // 3)  # base64


class EncryptedCharField(models.CharField):
    """
    A ``CharField`` stored encrypted (see the module). Forms and validation take at most
    ``plaintext_max_length`` characters; the column is as long as their encryption can be.
    """

    def __init__(self, *args, plaintext_max_length=255, **kwargs):
        self.plaintext_max_length = plaintext_max_length
        kwargs.setdefault("max_length", ciphertext_length(plaintext_max_length))
        super().__init__(*args, **kwargs)
        self.validators.append(MaxLengthValidator(plaintext_max_length))

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.plaintext_max_length != 255:
            kwargs["plaintext_max_length"] = self.plaintext_max_length
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        return decrypt(value, f"{self.model.__name__}.{self.name}")

    def get_prep_value(self, value):
        return encrypt(super().get_prep_value(value))

    def formfield(self, **kwargs):
        return super().formfield(**{"max_length": self.plaintext_max_length, **kwargs})
