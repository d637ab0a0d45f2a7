"""
The installed adapters, read once from the ``commerce_plugin.stores`` entry-point group: the
built-ins register there like any other package, so a payment source the plugin does not ship is a
``pip install`` away, not a fork.
"""

import functools
from importlib.metadata import entry_points
from types import MappingProxyType

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from commerce_plugin.intake.stores.contract import GENERIC, Adapter

# Installed packages register their adapters here: ``<kind> = <module>:<Adapter instance>``.
ENTRY_POINT_GROUP = "commerce_plugin.stores"


def get_adapter(kind):
    """The adapter of a store kind, or ``None`` for kinds without webhooks (generic stores use API v1)."""
    return adapters().get(kind)


@functools.cache
def adapters():
    """
    Every installed adapter, ``{kind: adapter}``, read once from the ``commerce_plugin.stores``
    entry-point group: the built-ins register there like any other package, so a payment source the
    plugin does not ship is a ``pip install`` away, not a fork. An entry point that cannot be
    imported, is not an :class:`Adapter`, or is named otherwise than its adapter's ``kind`` raises
    ``ImproperlyConfigured`` naming it and its package (the app checks this when it is ready, so a
    broken install stops the LMS at startup instead of turning deliveries away).
    """
    found, origins = {}, {}
    for entry_point in sorted(_entry_points(), key=lambda entry_point: entry_point.name):
        where = _origin(entry_point)
        try:
            adapter = entry_point.load()
        except Exception as exc:  # whatever the package raises on import, the operator needs its name
            raise ImproperlyConfigured(
                f"commerce_plugin: cannot load store adapter {where}: {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(adapter, Adapter):
            raise ImproperlyConfigured(
                f"commerce_plugin: store adapter {where} is a {type(adapter).__name__}, not an instance of "
                "commerce_plugin.stores.Adapter."
            )
        if adapter.kind != entry_point.name:
            raise ImproperlyConfigured(
                f"commerce_plugin: store adapter {where} has kind {adapter.kind!r}: the entry point's name "
                "must be the adapter's kind (it is what stores are created with)."
            )
        if entry_point.name == GENERIC:
            raise ImproperlyConfigured(
                f"commerce_plugin: store adapter {where} takes the kind '{GENERIC}', which means API-only stores."
            )
        if entry_point.name in found:
            raise ImproperlyConfigured(
                f"commerce_plugin: store kind '{entry_point.name}' is registered twice: {origins[entry_point.name]} "
                f"and {where}; uninstall one."
            )
        found[entry_point.name], origins[entry_point.name] = adapter, where
    return MappingProxyType(found)


def adapter_packages():
    """``{kind: "package version"}`` of every installed adapter: what the dashboard and commerce_routes show."""
    packages = {entry_point.name: _package(entry_point) for entry_point in _entry_points()}
    return {kind: packages.get(kind) or type(adapter).__module__ for kind, adapter in adapters().items()}


def kind_choices():
    """The store kinds an operator may choose (admin, ``commerce_store``): API-only, then every adapter."""
    return [(GENERIC, _("Generic (API v1)"))] + [(kind, adapter.label or kind) for kind, adapter in adapters().items()]


def check_adapters():
    """Load the adapters now (at startup), so a broken or misnamed one fails loudly, naming itself."""
    adapters()


def _entry_points():
    return entry_points(group=ENTRY_POINT_GROUP)


def _package(entry_point):
    dist = entry_point.dist
    return f"{dist.name} {dist.version}" if dist is not None else None


def _origin(entry_point):
    package = _package(entry_point)
    where = f"'{entry_point.name} = {entry_point.value}'"
    return f"{where} (package {package})" if package else where
