"""
The benchmark's essential fulfillment: the least a task that turns a stored line into an enrollment
does on this stack — read the line, find the buyer and enroll them through the LMS door, mark the
line fulfilled. No attempt count, events, logging or retries: ``make bench`` runs it end to end
beside the plugin's task to show how much of the distance to the direct-call floor is the job's.
"""

from celery import shared_task

from commerce_plugin.lms import get_backend
from commerce_plugin.models import OrderLine


@shared_task(acks_late=True)
def essential_fulfil(line_pk):
    line = OrderLine.objects.select_related("order").get(pk=line_pk)
    backend = get_backend()
    user = backend.find_user(username=line.order.username or None, email=line.order.email or None)
    attributes = {"order:order_number": line.order.order_number, "order:date_placed": "2026-11-20T10:00:00Z"}
    backend.enroll(user, line.course_id, line.mode, attributes)
    OrderLine.objects.filter(pk=line_pk).update(status="fulfilled")
