"""Who may send, read and revoke orders: staff, holders of the plugin's permission, or a signed store."""

from rest_framework.permissions import BasePermission

from commerce_plugin.models import Store

FULFILL_PERMISSION = "commerce_plugin.fulfill_order"


def signing_store(request):
    """The store that signed this request, or ``None`` for JWT and session callers."""
    return request.auth if isinstance(request.auth, Store) else None


class CanFulfillOrders(BasePermission):
    """A learner's JWT or session is refused (403); stores are limited to their own orders by the views."""

    message = (
        "Only staff, service users with the commerce_plugin.fulfill_order permission, or a signed store may do this."
    )

    def has_permission(self, request, view):
        if signing_store(request) is not None:
            return True
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or user.has_perm(FULFILL_PERMISSION)))


class IsStaffCaller(BasePermission):
    """Commerce Coordinator-style callers are service users: staff or permission holders, never stores."""

    message = CanFulfillOrders.message

    def has_permission(self, request, view):
        user = request.user
        if signing_store(request) is not None:
            return False
        return bool(user and user.is_authenticated and (user.is_staff or user.has_perm(FULFILL_PERMISSION)))
