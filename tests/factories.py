"""factory_boy factories for the plugin's models and the local LMS stand-in."""

import factory
from django.contrib.auth import get_user_model

from commerce_plugin.lms.local.models import LocalCourse, LocalCourseMode
from commerce_plugin.models import Product, ProductSeat, Store


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"learner{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    is_active = True


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store
        django_get_or_create = ("slug",)

    name = factory.LazyAttribute(lambda store: store.slug.title())
    slug = factory.Sequence(lambda n: f"store{n}")
    kind = Store.GENERIC
    # Shaped as the source issues it: a Stripe store's is its webhook signing secret.
    secret = factory.LazyAttributeSequence(
        lambda store, n: f"whsec_{n}_0123456789abcdef" if store.kind == Store.STRIPE else f"secret-{n}-0123456789abcdef"
    )


class CourseFactory(factory.django.DjangoModelFactory):
    """A local course run offering audit and verified unless told otherwise (``modes=[...]``)."""

    class Meta:
        model = LocalCourse
        django_get_or_create = ("course_id",)
        skip_postgeneration_save = True

    course_id = factory.Sequence(lambda n: f"course-v1:Org+C{n}+2026")
    title = factory.Sequence(lambda n: f"Course {n}")

    @factory.post_generation
    def modes(self, create, extracted, **kwargs):  # pylint: disable=unused-argument
        for slug in extracted if extracted is not None else ["audit", "verified"]:
            LocalCourseMode.objects.get_or_create(
                course=self, mode_slug=slug, defaults={"price": 0 if slug == "audit" else 49}
            )


class ProductFactory(factory.django.DjangoModelFactory):
    """A SKU; ``seats=[(course_id, mode), ...]`` maps it to course runs."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    store = factory.SubFactory(StoreFactory)
    sku = factory.Sequence(lambda n: f"SKU{n}")

    @factory.post_generation
    def seats(self, create, extracted, **kwargs):  # pylint: disable=unused-argument
        for position, (course_id, mode) in enumerate(extracted or []):
            ProductSeat.objects.create(product=self, course_id=course_id, mode=mode, position=position)
