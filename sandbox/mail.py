"""
An email backend for the benchmark's processes: builds each message as a real backend would before
handing it to a mail server (``message()``: MIME parts, headers checked), then drops it.

Django's in-memory backend, the sandbox's default, keeps every message in ``mail.outbox`` for the
life of the process: a worker that sent 2,500 receipts held 6 MB more, which ``make bench``'s
worker-memory figure read as the plugin's own growth.
"""

from django.core.mail.backends.base import BaseEmailBackend


class DiscardingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            message.message()
        return len(email_messages)
