"""
Where the buyer's receipt is sent from, and what its failures cost: the task that settles an order
sends it itself (no second task, no second message), a revocation that settles one queues the
receipt's task, and neither a mail server, a database nor a broker that fails costs the line.
"""

import logging
from smtplib import SMTPRecipientsRefused

import pytest
from django.core import mail
from django.db import OperationalError
from edx_ace import ace

from commerce_plugin.core import orders, receipts
from commerce_plugin.core.tasks import send_receipt
from commerce_plugin.models import OrderLine
from tests.conftest import ORDERS_URL, order_payload
from tests.core.test_receipts import held_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _lms_root(settings):
    settings.LMS_ROOT_URL = "https://lms.example.com"


def test_a_channel_that_raises_fails_neither_the_line_nor_logs_the_address(
    store, course, learner, signed_client, monkeypatch, caplog
):
    def refuse(message):
        raise SMTPRecipientsRefused({"ada@example.com": (550, b"mailbox unavailable")})

    monkeypatch.setattr(ace, "send", refuse)

    with caplog.at_level(logging.INFO, logger="commerce_plugin"):
        body = signed_client.post(ORDERS_URL, order_payload()).json()

    assert body["lines"][0]["status"] == "fulfilled"
    assert mail.outbox == []
    notes = [record.getMessage() for record in caplog.records if record.name == "commerce_plugin.core.receipts"]
    assert notes == ["commerce receipt not sent store=shop order=1001: SMTPRecipientsRefused"]
    assert "ada@example.com" not in caplog.text


def test_the_fulfilling_task_sends_the_receipt_itself_without_a_second_task(
    store, course, learner, signed_client, monkeypatch
):
    def down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(send_receipt, "apply_async", down)

    body = signed_client.post(ORDERS_URL, order_payload()).json()

    assert body["lines"][0]["status"] == "fulfilled"
    assert [email.to for email in mail.outbox] == [["ada@example.com"]]


def test_a_database_gone_before_the_receipt_leaves_the_line_fulfilled(
    store, course, learner, signed_client, monkeypatch, caplog
):
    def gone(order, buyer=None):
        raise OperationalError("server has gone away")

    monkeypatch.setattr(receipts, "send", gone)

    with caplog.at_level(logging.WARNING, logger="commerce_plugin"):
        body = signed_client.post(ORDERS_URL, order_payload()).json()

    assert body["lines"][0]["status"] == "fulfilled"
    assert mail.outbox == []
    assert "commerce receipt not sent store=shop order=1001: OperationalError" in caplog.text


def test_a_broker_that_refuses_a_revocations_receipt_task_leaves_the_revocation(
    store, course, other_course, learner, monkeypatch, caplog
):
    held_order(store)

    def down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(send_receipt, "apply_async", down)

    with caplog.at_level(logging.WARNING, logger="commerce_plugin"):
        orders.revoke_order(store.slug, "1001", line_ids=["2"])

    assert OrderLine.objects.get(line_id="2").status == "revoked"
    assert mail.outbox == []
    assert "not queued (ConnectionRefusedError): not sent" in caplog.text
