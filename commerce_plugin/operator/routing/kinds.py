"""The kinds of box the routing map draws, with the caption, fill and stroke every renderer uses."""

from django.utils.translation import gettext_lazy as _

SOURCE, ENTRY, CODE, FILTER, STEP, TABLE, EXTERNAL, EVENT, RECEIVER, TASK, LMS = (
    "source", "entry", "code", "filter", "step", "table", "external", "event", "receiver", "task", "lms"
)  # fmt: skip
# kind: (caption, fill, stroke); also the legend's order.
STYLES = {
    SOURCE: (_("source"), "#eceff1", "#546e7a"),
    ENTRY: (_("entry point"), "#e3f2fd", "#1e88e5"),
    CODE: (_("plugin code"), "#f1f8e9", "#7cb342"),
    FILTER: (_("filter"), "#fff3e0", "#ef6c00"),
    STEP: (_("pipeline step"), "#fff8e1", "#f9a825"),
    TABLE: (_("stored"), "#e8f5e9", "#43a047"),
    EXTERNAL: (_("outside the LMS"), "#fafafa", "#9e9e9e"),
    EVENT: (_("event"), "#f3e5f5", "#8e24aa"),
    RECEIVER: (_("receiver"), "#e0f2f1", "#00897b"),
    TASK: (_("Celery task"), "#e8eaf6", "#3949ab"),
    LMS: (_("the LMS door"), "#fbe9e7", "#d84315"),
}
