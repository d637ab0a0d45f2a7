"""
``manage.py commerce_routes``: print the routing map as wired in this process — entry points,
filter pipelines, events, their receivers and emitters, the tasks they start, the LMS door — so
settings drift shows up in review.

``--format svg`` draws the same picture the admin dashboard shows (no Graphviz needed); ``dot`` is
for those who have Graphviz; ``mermaid`` (the default) pastes into GitHub and most wikis. ``--live``
adds the stores configured in the database and their last 24 hours, as the dashboard does.
"""

from django.core.management.base import BaseCommand, CommandError

from commerce_plugin.operator import routing

RENDERERS = {"mermaid": routing.mermaid, "dot": routing.dot, "svg": routing.svg}


class Command(BaseCommand):
    help = "Print the plugin's routing map (entry points, filters, events, receivers, tasks) as Mermaid, DOT or SVG."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=sorted(RENDERERS), default="mermaid", help="Output format.")
        parser.add_argument("--output", metavar="FILE", help="Write to FILE instead of standard output.")
        parser.add_argument(
            "--live", action="store_true", help="Draw the configured stores with their last 24 hours' figures."
        )

    def handle(self, *args, **options):
        model = routing.runtime_map() if options["live"] else routing.build()
        text = RENDERERS[options["format"]](model)
        if not text.endswith("\n"):
            text += "\n"
        if options["output"]:
            try:
                with open(options["output"], "w", encoding="utf-8") as output:
                    output.write(text)
            except OSError as exc:
                raise CommandError(f"Cannot write the routing map to {options['output']}: {exc.strerror}.") from exc
            self.stderr.write(f"Wrote the routing map ({options['format']}) to {options['output']}.")
        else:
            self.stdout.write(text, ending="")
