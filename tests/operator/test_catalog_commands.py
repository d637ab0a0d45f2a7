"""
The commands that set up what is sold: ``commerce_product`` maps a store's SKU to course seats, in
order, and ``commerce_local_course`` makes the local LMS stand-in's course runs with priced modes.
"""

import pytest
from django.core.management import CommandError

from commerce_plugin.lms.local.models import LocalCourse
from commerce_plugin.models import Product
from tests.factories import ProductFactory
from tests.operator.commands import DS201, PY101, run


def test_product_command_maps_a_bundle_in_order(store, course, other_course):
    out, _ = run(
        "commerce_product",
        "shop",
        "DATA-BUNDLE",
        "--seat",
        f"{PY101}:verified",
        "--seat",
        f"{DS201}:audit",
        "--title",
        "Data bundle",
    )
    product = Product.objects.get(store=store, sku="DATA-BUNDLE")
    assert product.title == "Data bundle"
    assert list(product.seats.values_list("course_id", "mode")) == [(PY101, "verified"), (DS201, "audit")]
    assert "DATA-BUNDLE" in out


def test_product_command_replaces_the_seats_of_an_existing_sku(store, course, other_course):
    ProductFactory(store=store, sku="PY", seats=[(PY101, "audit"), (DS201, "audit")])
    run("commerce_product", "shop", "PY", "--seat", f"{PY101}:verified")
    assert list(Product.objects.get(sku="PY").seats.values_list("course_id", "mode")) == [(PY101, "verified")]


def test_product_command_names_a_mode_the_course_does_not_offer(store, course):
    with pytest.raises(CommandError, match="'professional'"):
        run("commerce_product", "shop", "PY", "--seat", f"{PY101}:professional")
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    "store_slug, seat, message",
    [
        ("nope", f"{PY101}:verified", "No store 'nope'"),
        ("shop", "not-a-key:verified", "not a course run key"),
        ("shop", "course-v1:Org+NOPE+2026:verified", "does not exist"),
        ("shop", "verified", "is not <course_id>:<mode>"),
    ],
)
def test_product_command_explains_what_is_wrong(store, course, store_slug, seat, message):
    with pytest.raises(CommandError, match=message):
        run("commerce_product", store_slug, "PY", "--seat", seat)


def test_local_course_command_creates_a_run_with_priced_modes(db):
    out, _ = run(
        "commerce_local_course",
        PY101,
        "--title",
        "Python",
        "--mode",
        "audit",
        "--mode",
        "verified:49.00:USD",
        "--max",
        "30",
    )
    course = LocalCourse.objects.get(course_id=PY101)
    assert (course.title, course.enrollment_open, course.max_enrollments) == ("Python", True, 30)
    modes = {mode.mode_slug: (str(mode.price), mode.currency) for mode in course.modes.all()}
    assert modes == {"audit": ("0.00", "usd"), "verified": ("49.00", "usd")}
    assert "created" in out


def test_local_course_command_updates_a_run(course):
    run("commerce_local_course", course.course_id, "--closed", "--mode", "professional:99")
    course.refresh_from_db()
    assert not course.enrollment_open
    assert list(course.modes.values_list("mode_slug", flat=True)) == ["professional"]
    run("commerce_local_course", course.course_id, "--open")
    course.refresh_from_db()
    assert course.enrollment_open
    assert list(course.modes.values_list("mode_slug", flat=True)) == ["professional"]


def test_local_course_command_refuses_a_malformed_key_or_price(db):
    with pytest.raises(CommandError, match="not a course run key"):
        run("commerce_local_course", "PY101")
    with pytest.raises(CommandError, match="not a price"):
        run("commerce_local_course", PY101, "--mode", "verified:cheap")
