"""What the public surface (:mod:`commerce_plugin.core.orders`) raises; callers catch them from there."""


class OrderConflict(Exception):
    """The store reused an order number for different content."""


class OrderNotFound(Exception):
    """No such order in that store."""


class InvalidOrder(ValueError):
    """The order does not fit what can be stored (too long, not an email, not an amount)."""


class OrderRefused(Exception):
    """A filter pipeline step refused the order; ``str(exc)`` is the step's message."""


class UnknownLines(Exception):
    """Line ids named for revocation that the order does not have."""

    def __init__(self, line_ids):
        super().__init__(", ".join(line_ids))
        self.line_ids = line_ids
