"""The routing map as Mermaid flowchart text: pastes into GitHub and most wikis."""

from commerce_plugin import routes, signals
from commerce_plugin.routing.model import live_map


def mermaid(route_map=None):
    """The routing map as Mermaid flowchart text."""
    route_map = route_map or live_map()
    lines = [
        "flowchart LR",
        '  store(["store / API caller"]) --> api["POST /commerce-plugin/api/v1/orders/"]',
        "  lms([LMS])",
    ]
    ids = {}

    def node(label, shape="[{}]"):
        if label not in ids:
            ids[label] = f"n{len(ids)}"
            lines.append(f"  {ids[label]}{shape.format(repr(label).replace(chr(39), chr(34)))}")
        return ids[label]

    for filter_type, steps in route_map["filters"].items():
        at_checkout = routes.FILTER_ENTRIES.get(filter_type) == routes.CHECKOUT_ENTRY
        if at_checkout:
            lines.append('  learner(["learner"]) --> checkout["GET /commerce-plugin/checkout/"]')
        prev = "checkout" if at_checkout else "api"
        filt = node(filter_type, "{{{{{}}}}}")
        lines.append(f"  {prev} --> {filt}")
        prev = filt
        for step in steps:
            step_id = node(step, "[/{}/]")
            lines.append(f"  {prev} --> {step_id}")
            prev = step_id
        end = 'stripe(["Stripe Checkout: paid orders arrive by webhook"])' if at_checkout else "stored[(orders)]"
        lines.append(f"  {prev} --> {end}")
    for event_type, receivers in route_map["events"].items():
        event = node(event_type, "(({}))")
        if event_type == signals.ORDER_PLACED.event_type:
            lines.append(f"  stored --> {event}")
        elif event_type in {signal.event_type for signal in routes.LMS_EVENTS}:
            lines.append(f"  lms --> {event}")
        if not receivers:
            lines.append(f"  {event} -.-> none[no receiver]")
        for receiver, task in receivers:
            rid = node(receiver, "[{}]")
            lines.append(f"  {event} --> {rid}")
            if task:
                lines.append(f"  {rid} --> {node(task, '[[{}]]')}")
    return "\n".join(lines) + "\n"
