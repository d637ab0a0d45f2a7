"""
``GET /api/v2/orders/?username=<u>&page=<n>&page_size=<k>``: a learner's orders, newest first, in the
shape ecommerce's order API gave them (:mod:`.shapes`), at the path frontend-app-ecommerce asks for
them (``ECOMMERCE_BASE_URL`` pointed at the LMS).

Authentication is the LMS's usual: a JWT (the MFEs' cookie or header) or the session. A learner sees
their own orders, ``username`` naming themselves or left out; staff may name anyone (an unknown
username is an empty list); anyone else naming another learner gets 403. A token the LMS issued to a
restricted third-party application is refused, as the LMS's own learner APIs refuse it.

Beside ecommerce's keys (``count``, ``next``, ``previous``, ``results``), the answer carries the
learner's subscriptions under ``subscriptions`` (:func:`.shapes.subscription_json`), the same on every page.

Pages are DRF's: ``page_size`` up to :data:`MAX_PAGE_SIZE` (a larger one is served as that many), a
page past the end answers DRF's 404 ``{"detail": "Invalid page."}``.
"""

from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication, is_jwt_authenticated
from edx_rest_framework_extensions.auth.jwt.decoder import decode_jwt_is_restricted
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer

from commerce_plugin.core import history, subscription_status
from commerce_plugin.learner.shapes import order_json, subscription_json

PAGE_SIZE = 20  # what frontend-app-ecommerce asks for
MAX_PAGE_SIZE = 100


class OrderHistoryPagination(PageNumberPagination):
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class NotRestrictedApplication(BasePermission):
    message = "This token was issued to a restricted OAuth application: it cannot read orders."

    def has_permission(self, request, view):
        return not (is_jwt_authenticated(request) and decode_jwt_is_restricted(request.auth))


@method_decorator(never_cache, name="dispatch")
class OrderHistoryView(GenericAPIView):
    """A learner's orders; staff may ask for anyone's."""

    authentication_classes = [JwtAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated, NotRestrictedApplication]
    pagination_class = OrderHistoryPagination
    renderer_classes = [JSONRenderer]

    def buyer(self):
        """Whose orders: the caller's own, or (staff only) the account ``username`` names, ``None`` if none."""
        user = self.request.user
        username = self.request.query_params.get("username", "")
        if not username or username.casefold() == user.username.casefold():
            return user
        if not history.sees_every_order(user):
            raise PermissionDenied("You may only see your own orders.")
        return history.account(username)

    def get(self, request):
        buyer = self.buyer()
        page = self.paginate_queryset(history.orders_of(buyer))
        response = self.get_paginated_response([order_json(found, buyer, request) for found in history.describe(page)])
        response.data["subscriptions"] = [subscription_json(found) for found in subscription_status.of_learner(buyer)]
        return response
