"""``manage.py commerce_product <store> <sku> --seat <course_id>:<mode> ...``: map a SKU to seats."""

from django.core.management.base import BaseCommand, CommandError

from commerce_plugin.core import catalog


def parse_seat(value):
    """``course-v1:Org+X+Run:verified`` → (course id, mode); course keys hold ':' so split on the last."""
    course_id, sep, mode = value.rpartition(":")
    if not sep or not course_id or not mode:
        raise CommandError(f"--seat '{value}' is not <course_id>:<mode> (e.g. course-v1:Org+X+2026:verified).")
    return course_id, mode


class Command(BaseCommand):
    help = "Map a store's SKU to one or more course runs and modes (several --seat make a bundle)."

    def add_arguments(self, parser):
        parser.add_argument("store", help="The store's slug.")
        parser.add_argument("sku")
        parser.add_argument(
            "--seat",
            action="append",
            required=True,
            metavar="COURSE_ID:MODE",
            help="A course run and mode the SKU grants; repeat for a bundle. Replaces the current seats.",
        )
        parser.add_argument("--title", help="A human-readable title for the product.")

    def handle(self, *args, **options):
        seats = [parse_seat(value) for value in options["seat"]]
        try:
            product = catalog.map_product(options["store"], options["sku"], seats, title=options["title"])
        except catalog.CatalogError as exc:
            raise CommandError(str(exc)) from exc
        granted = ", ".join(f"{course_id} ({mode})" for course_id, mode in seats)
        self.stdout.write(f"SKU '{product.sku}' of store '{options['store']}' grants: {granted}.")
