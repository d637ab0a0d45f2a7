"""
The receipt's edx-ace message type. Imported only by the task that sends a receipt, so the LMS
processes that never send one do not load edx-ace for it (the LMS loads it for its own emails).

edx-ace renders ``commerce_plugin/edx_ace/receipt/email/{subject.txt,from_name.txt,head.html,
body.html,body.txt}`` in the buyer's language; a theme or the operator's template directories
override them like any LMS email's.
"""

from edx_ace.message import MessageType


class OrderReceipt(MessageType):
    """A paid order's receipt: transactional, so it never waits behind marketing channels."""

    APP_LABEL = "commerce_plugin"
    NAME = "receipt"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Routed through ACE_CHANNEL_TRANSACTIONAL_EMAIL, as the LMS's password-reset email is.
        self.options["transactional"] = True  # pylint: disable=unsupported-assignment-operation
