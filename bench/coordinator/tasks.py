"""
The Coordinator's enrollment task: the LMS's enrollment API over HTTP with the service user's JWT
(cached per process, as its OAuth client caches the token), then the stored order marked fulfilled.
Retried as the Coordinator retries, a fixed 5 x 3 s.
"""

import requests
from celery import shared_task
from django.conf import settings

from bench.tokens import service_token

_session = {}


def _lms():
    if "session" not in _session:
        session = requests.Session()
        token = service_token(settings.COORDINATOR_LMS_SERVICE_USER, settings.JWT_AUTH)
        session.headers.update({"Authorization": f"JWT {token}", "Content-Type": "application/json"})
        _session["session"] = session
    return _session["session"]


@shared_task(
    autoretry_for=(requests.RequestException,), retry_kwargs={"max_retries": 5, "countdown": 3}, acks_late=True
)
def fulfill_order_placed_send_enroll_in_course_task(
    course_id, course_mode, date_placed, edx_lms_user_id, edx_lms_username, email_opt_in, order_number, provider
):
    from bench.coordinator.models import FulfillmentOrder  # pylint: disable=import-outside-toplevel

    body = {
        "user": edx_lms_username,
        "is_active": True,
        "mode": course_mode,
        "course_details": {"course_id": course_id},
        "email_opt_in": email_opt_in,
        "enrollment_attributes": [
            {"namespace": "order", "name": "order_number", "value": order_number},
            {"namespace": "order", "name": "date_placed", "value": date_placed},
        ],
    }
    response = _lms().post(f"{settings.COORDINATOR_LMS_URL}/api/enrollment/v1/enrollment", json=body, timeout=30)
    response.raise_for_status()
    FulfillmentOrder.objects.filter(order_number=order_number, provider=provider).update(fulfilled=True)
    return response.json()
