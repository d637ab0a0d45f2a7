"""
``manage.py commerce_routes``: print the routing map as wired in this process — events, their
receivers and the tasks they start, filter pipelines — so settings drift shows up in review.
"""

from django.core.management.base import BaseCommand

from commerce_plugin import routes


class Command(BaseCommand):
    help = "Print the plugin's routing map (events → receivers → tasks, filter pipelines) as Mermaid."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["mermaid"], default="mermaid", help="Output format.")

    def handle(self, *args, **options):
        self.stdout.write(routes.mermaid(), ending="")
