"""
Who may send, read and revoke orders: staff, holders of the plugin's permission, or a signed store.

A JWT that the LMS issued to a third-party OAuth application (``is_restricted``: a staff user
authorised some app to read their profile) is refused, as the LMS's own APIs refuse such tokens,
unless it carries the plugin's scope :data:`ORDERS_SCOPE`: an operator grants that scope to an
application on purpose, not by authorising "profile email".
"""

from edx_rest_framework_extensions.auth.jwt.authentication import is_jwt_authenticated
from edx_rest_framework_extensions.auth.jwt.decoder import decode_jwt_is_restricted, decode_jwt_scopes
from rest_framework.permissions import BasePermission

from commerce_plugin.models import Store

FULFILL_PERMISSION = "commerce_plugin.fulfill_order"
# The OAuth scope a restricted application needs to act on orders (and read health).
ORDERS_SCOPE = "commerce:orders"
RESTRICTED_MESSAGE = (
    f"This token was issued to a restricted OAuth application without the '{ORDERS_SCOPE}' scope: "
    "it cannot act on orders."
)


def signing_store(request):
    """The store that signed this request, or ``None`` for JWT and session callers."""
    return request.auth if isinstance(request.auth, Store) else None


def restricted_without_scope(request):
    """A restricted application's JWT lacking :data:`ORDERS_SCOPE`."""
    if not is_jwt_authenticated(request):
        return False
    return bool(decode_jwt_is_restricted(request.auth)) and ORDERS_SCOPE not in (decode_jwt_scopes(request.auth) or [])


def _permitted_user(permission, request):
    if restricted_without_scope(request):
        permission.message = RESTRICTED_MESSAGE
        return False
    user = request.user
    return bool(user and user.is_authenticated and (user.is_staff or user.has_perm(FULFILL_PERMISSION)))


class CanFulfillOrders(BasePermission):
    """A learner's JWT or session is refused (403); stores are limited to their own orders by the views."""

    message = (
        "Only staff, service users with the commerce_plugin.fulfill_order permission, or a signed store may do this."
    )

    def has_permission(self, request, view):
        if signing_store(request) is not None:
            return True
        return _permitted_user(self, request)


class IsStaffCaller(BasePermission):
    """Commerce Coordinator-style callers and health pollers are service users: staff or permission holders."""

    message = CanFulfillOrders.message

    def has_permission(self, request, view):
        if signing_store(request) is not None:
            return False
        return _permitted_user(self, request)
