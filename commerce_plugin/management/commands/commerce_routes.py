"""
``manage.py commerce_routes``: print the routing map as wired in this process — events, their
receivers and the tasks they start, filter pipelines — so settings drift shows up in review.

``--format svg`` draws the same picture the admin dashboard shows (no Graphviz needed); ``dot`` is
for those who have Graphviz; ``mermaid`` (the default) pastes into GitHub and most wikis.
"""

from django.core.management.base import BaseCommand

from commerce_plugin import routing

RENDERERS = {"mermaid": routing.mermaid, "dot": routing.dot, "svg": routing.svg}


class Command(BaseCommand):
    help = "Print the plugin's routing map (events → receivers → tasks, filter pipelines) as Mermaid, DOT or SVG."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=sorted(RENDERERS), default="mermaid", help="Output format.")
        parser.add_argument("--output", metavar="FILE", help="Write to FILE instead of standard output.")

    def handle(self, *args, **options):
        text = RENDERERS[options["format"]]()
        if not text.endswith("\n"):
            text += "\n"
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as output:
                output.write(text)
            self.stderr.write(f"Wrote the routing map ({options['format']}) to {options['output']}.")
        else:
            self.stdout.write(text, ending="")
