"""
``POST /commerce-plugin/webhooks/<store slug>/``: one endpoint per store, the store's kind picks the
adapter. The signature IS the authentication, so there is no session, CSRF or DRF auth here; the
view only hands the raw request to :mod:`commerce_plugin.intake.deliveries` and shapes the answer.
"""

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from edx_django_utils.monitoring import set_custom_attribute

from commerce_plugin.api.v1.parsers import too_large_detail
from commerce_plugin.core import subscription_lapse
from commerce_plugin.intake import deliveries, retention
from commerce_plugin.models import WebhookDelivery


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class WebhookView(View):
    """
    Non-atomic on purpose (the LMS runs requests in a transaction): the delivery record must survive
    whatever happens after it is written, and ``accept_order`` commits before fulfillment is queued.
    """

    http_method_names = ["post"]

    def post(self, request, store):
        set_custom_attribute("commerce_plugin.store", store)
        try:
            declared = _declared_length(request)
            if declared > deliveries.max_bytes():
                # Refused before the body is read: a stranger's upload costs neither memory nor a row's body.
                outcome = deliveries.receive_too_large(store, request.headers, declared)
            else:
                try:
                    raw = request.body
                except RequestDataTooBig:  # under our cap but over Django's DATA_UPLOAD_MAX_MEMORY_SIZE: unread
                    body = {"verdict": WebhookDelivery.REJECTED, "delivery": None, "detail": too_large_detail()}
                    return JsonResponse(body, status=413)
                outcome = deliveries.receive(store, request.headers, raw)
        except deliveries.UnknownStore:
            return JsonResponse({"detail": "No store takes webhooks at this address."}, status=404)
        set_custom_attribute("commerce_plugin.webhook_verdict", outcome.verdict)
        retention.purge_if_due()  # deliveries are what the purge trims: they schedule it where no beat runs
        subscription_lapse.lapse_if_due()  # subscriptions end on time where no beat runs
        # A failure's reason may quote internals: the source only learns that it was kept for re-drive.
        detail = outcome.reason if outcome.status_code < 500 else "Recorded; it will be re-processed."
        body = {"verdict": outcome.verdict, "delivery": outcome.delivery_id, "detail": detail}
        headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else None
        return JsonResponse(body, status=outcome.status_code, headers=headers)

    def http_method_not_allowed(self, request, *args, **kwargs):
        allowed = super().http_method_not_allowed(request, *args, **kwargs)  # logged as Django does
        detail = f"Method {request.method} not allowed: webhooks are POSTed."
        return JsonResponse({"detail": detail}, status=405, headers={"Allow": allowed["Allow"]})


def _declared_length(request):
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
