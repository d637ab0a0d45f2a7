"""The sandbox's stand-in for the LMS's course about page and its Enroll button (sandbox/course_views.py)."""

import pytest
from django.test import Client

from commerce_plugin.lms.local.models import LocalEnrollment
from tests.factories import StoreFactory
from tests.subscribing import make_plan, subscribe

pytestmark = pytest.mark.django_db(transaction=True)

COURSE = "course-v1:Org+PY101+2026"
ABOUT = f"/courses/{COURSE}/about"
ENROLL = {"course_id": COURSE, "enrollment_action": "enroll"}


@pytest.fixture
def browser(learner):
    client = Client()
    client.force_login(learner)
    return client


def test_the_enroll_button_enrolls_a_learner_in_the_default_mode(browser, learner, course):
    assert 'name="enrollment_action" value="enroll"' in browser.get(ABOUT).content.decode()

    response = browser.post("/change_enrollment", ENROLL)

    assert (response.status_code, response["Location"]) == (302, ABOUT)
    assert 'You are enrolled in the <strong class="mode">audit</strong> track.' in browser.get(ABOUT).content.decode()
    assert LocalEnrollment.objects.get(user=learner).mode == "audit"


def test_a_subscribers_enroll_button_gives_the_plans_mode(browser, learner, course):
    StoreFactory(slug="stripe", kind="stripe")
    subscribe(learner, make_plan(courses="Org+PY101"))

    browser.post("/change_enrollment", ENROLL)

    assert LocalEnrollment.objects.get(user=learner).mode == "verified"


def test_an_unknown_course_or_action_is_refused(browser, course):
    assert browser.get("/courses/course-v1:Org+NOPE+2026/about").status_code == 404
    assert browser.post("/change_enrollment", {**ENROLL, "course_id": "course-v1:Org+NOPE+2026"}).status_code == 400
    assert browser.post("/change_enrollment", {**ENROLL, "enrollment_action": "unenroll"}).status_code == 400
    assert not LocalEnrollment.objects.exists()


def test_a_visitor_is_asked_to_sign_in(course):
    page = Client().get(ABOUT).content.decode()

    assert f'href="/accounts/login/?next={ABOUT.replace(":", "%3A").replace("+", "%2B")}"' in page
    assert "Enroll</button>" not in page
    assert Client().post("/change_enrollment", ENROLL).status_code == 302


def test_signing_in_lands_on_the_dashboard_listing_the_learners_courses(learner, course):
    learner.set_password("pass-1234")
    learner.save()
    visitor = Client()

    signed_in = visitor.post("/accounts/login/", {"username": learner.username, "password": "pass-1234"})
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/dashboard")
    assert "You are not enrolled in any course yet." in visitor.get("/dashboard").content.decode()

    visitor.post("/change_enrollment", ENROLL)
    page = visitor.get("/dashboard").content.decode()
    assert f'<a href="{ABOUT}">' in page and '<span class="mode">audit</span>' in page
    assert 'href="/commerce-plugin/orders/"' in page
    assert Client().get("/dashboard")["Location"].startswith("/accounts/login/?next=/dashboard")
