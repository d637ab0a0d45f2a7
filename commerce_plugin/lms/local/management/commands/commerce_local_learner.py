"""
``manage.py commerce_local_learner <username> <email>``: a learner account on the local LMS
stand-in (demo and sandbox only; in the real LMS learners register themselves), so a sandbox order
has a buyer to enroll. Without ``--password`` the account cannot log in, which an order does not need.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email


class Command(BaseCommand):
    help = "Create (or show) an active learner account in the sandbox, for orders to enroll."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("email")
        parser.add_argument("--password", help="Let the learner log in with this password (sandbox only).")

    def handle(self, *args, **options):
        username, email = options["username"], options["email"]
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"'{email}' is not an email address.") from exc
        users = get_user_model()
        user = users.objects.filter(username=username).first()
        if user is not None and user.email.casefold() != email.casefold():
            raise CommandError(f"User '{username}' already exists with another email.")
        if user is None:
            user = users(username=username, email=email, is_active=True)
        if options["password"]:
            user.set_password(options["password"])
        elif user.pk is None:
            user.set_unusable_password()
        user.save()
        self.stdout.write(f"Learner '{username}' <{email}> (id {user.pk}) is ready to buy.")
