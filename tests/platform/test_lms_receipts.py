"""
The receipt email inside the LMS: a signed order enrolled through the LMS's enrollment API, then its
receipt sent through the LMS's own edx-ace (the channel ``lms.envs.test`` configures,
``django_email``) into Django's outbox, in the learner's preferred language, naming the course as
the LMS does and linking the receipt page on the LMS. ACE itself reports the delivery
(``ACE_MESSAGE_SENT``, what the LMS's ACE tracking listens to).
"""

from plugin_lms import ORDERS_URL, PluginLmsTestCase, order_payload  # pylint: disable=import-error

# plugin_lms skips this module outside an LMS, so it is imported first.
# isort: split

# pylint: disable=wrong-import-position,wrong-import-order
from common.djangoapps.student.tests.factories import UserFactory  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core import mail  # noqa: E402
from edx_ace.signals import ACE_MESSAGE_SENT  # noqa: E402
from openedx.core.djangoapps.lang_pref import LANGUAGE_KEY  # noqa: E402
from openedx.core.djangoapps.user_api.models import UserPreference  # noqa: E402

from commerce_plugin.models import OrderLine  # noqa: E402


class LmsReceiptEmailTest(PluginLmsTestCase):
    """One paid order → one receipt, through the LMS's edx-ace."""

    def setUp(self):
        super().setUp()
        self.learner = UserFactory(username="ada", email="ada@example.com")
        self.paid = self.course(display_name="Commerce in Practice")
        self.delivered = []
        ACE_MESSAGE_SENT.connect(self._heard, weak=False, dispatch_uid="commerce-lms-receipts")
        self.addCleanup(ACE_MESSAGE_SENT.disconnect, dispatch_uid="commerce-lms-receipts")
        mail.outbox = []

    def _heard(self, sender, message, **kwargs):  # pylint: disable=unused-argument
        self.delivered.append((type(sender).__name__, message))

    def buy(self, number="1001"):
        response = self.signed_post(ORDERS_URL, order_payload(self.paid, number=number))
        assert response.status_code == 202, response.content
        assert OrderLine.objects.get(order__order_number=number).status == "fulfilled"

    def test_the_receipt_goes_out_once_through_the_lms_edx_ace_channel(self):
        assert settings.ACE_CHANNEL_TRANSACTIONAL_EMAIL == "django_email"  # the LMS's own ACE settings stand

        self.buy()

        assert len(mail.outbox) == 1
        email = mail.outbox[0]
        assert email.to == ["ada@example.com"]
        assert "1001" in email.subject
        assert "Commerce in Practice" in email.body
        assert f"{settings.LMS_ROOT_URL}/checkout/receipt/?order_number=1001&store=shop" in email.body
        ((channel, message),) = self.delivered
        assert channel == "DjangoEmailChannel"
        assert (message["app_label"], message["name"]) == ("commerce_plugin", "receipt")
        assert message["recipient"] == {"email": "ada@example.com", "user_id": self.learner.id}
        assert message["options"]["transactional"] is True

    def test_the_receipt_is_written_in_the_learners_preferred_language(self):
        UserPreference.objects.create(user=self.learner, key=LANGUAGE_KEY, value="es-419")

        self.buy()

        ((_, message),) = self.delivered
        assert message["message_language"] == "es-419"
        assert len(mail.outbox) == 1

    def test_a_repeated_order_and_a_store_that_sends_no_receipts_send_nothing_more(self):
        self.buy()
        self.signed_post(ORDERS_URL, order_payload(self.paid))  # the store sends it again

        self.store.send_receipts = False
        self.store.save()
        other = self.course(run="2027")
        response = self.signed_post(ORDERS_URL, order_payload(other, number="1002"))
        assert response.status_code == 202, response.content

        assert len(mail.outbox) == 1
        assert len(self.delivered) == 1
