"""
``manage.py commerce_local_course <course_id> --mode audit --mode verified:49.00:usd``: create or
update a course run on the local LMS stand-in (demo and sandbox only; the real LMS has Studio).
"""

from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from commerce_plugin.lms.local.models import LocalCourse, LocalCourseMode


def parse_mode(value):
    """``verified:49.00:usd`` → (slug, price or None, currency or None); price and currency optional."""
    slug, *rest = value.split(":")
    if not slug or len(rest) > 2:
        raise CommandError(f"--mode '{value}' is not <mode>[:<price>[:<currency>]] (e.g. verified:49.00:usd).")
    try:
        price = Decimal(rest[0]) if rest and rest[0] else None
    except InvalidOperation as exc:
        raise CommandError(f"--mode '{value}': '{rest[0]}' is not a price.") from exc
    if price is not None and price < 0:
        raise CommandError(f"--mode '{value}': the price cannot be negative.")
    currency = rest[1].lower() if len(rest) == 2 and rest[1] else None
    if currency is not None and len(currency) != 3:
        raise CommandError(f"--mode '{value}': '{currency}' is not a three-letter currency code.")
    return slug, price, currency


class Command(BaseCommand):
    help = "Create or update a course run on the local LMS stand-in; --mode given means exactly those modes."

    def add_arguments(self, parser):
        parser.add_argument("course_id", help="A course run key, e.g. course-v1:Org+PY101+2026.")
        parser.add_argument("--title")
        parser.add_argument(
            "--mode",
            action="append",
            metavar="MODE[:PRICE[:CURRENCY]]",
            help="A mode the run offers; repeat for several. Unnamed modes are removed (new run default: audit).",
        )
        state = parser.add_mutually_exclusive_group()
        state.add_argument("--closed", dest="open", action="store_false", default=None, help="Refuse enrollments.")
        state.add_argument("--open", dest="open", action="store_true", help="Accept enrollments again.")
        parser.add_argument("--max", type=int, metavar="N", help="At most N active enrollments.")

    def handle(self, *args, **options):
        course_id = options["course_id"]
        try:
            CourseKey.from_string(course_id)
        except InvalidKeyError as exc:
            raise CommandError(f"'{course_id}' is not a course run key (course-v1:Org+Number+Run).") from exc
        if options["max"] is not None and options["max"] < 0:
            raise CommandError("--max must be 0 or more.")
        modes = [parse_mode(value) for value in options["mode"] or []]
        with transaction.atomic():
            course, created = LocalCourse.objects.get_or_create(course_id=course_id)
            for field, value in (
                ("title", options["title"]),
                ("enrollment_open", options["open"]),
                ("max_enrollments", options["max"]),
            ):
                if value is not None:
                    setattr(course, field, value)
            course.save()
            if created and not modes:
                modes = [("audit", None, None)]
            if modes:
                course.modes.exclude(mode_slug__in=[slug for slug, _, _ in modes]).delete()
            for slug, price, currency in modes:
                mode, _ = LocalCourseMode.objects.get_or_create(course=course, mode_slug=slug)
                mode.price = price if price is not None else mode.price
                mode.currency = currency or mode.currency
                mode.save()
        offered = ", ".join(f"{m.mode_slug} {m.price} {m.currency}" for m in course.modes.order_by("id"))
        state = "open" if course.enrollment_open else "closed"
        self.stdout.write(f"Course run {course_id} {'created' if created else 'updated'} ({state}): {offered}.")
