"""
Middleware that reads ``request.user`` the way the LMS's does, so the sandbox cannot hide a view
that leaves something other than an LMS account (or ``AnonymousUser``) on the request.

Inside the LMS, after every view, ``EmailChangeMiddleware`` (safe-sessions) copies an authenticated
``request.user.email`` into the session, the language-preference middleware looks the user's
preferences up by its primary key, and the 500 page reads ``request.user.profile``. A store-signed
request that once carried a stand-in user answered 500 there while every sandbox test passed.
"""

from django.contrib.auth import get_user_model


class LmsUserReadingMiddleware:
    """After the view: an authenticated ``request.user`` must be a real account, as the LMS assumes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # safe-sessions: store the account's email in the session on the way out.
            if hasattr(request, "session") and request.session.get("email") is None:
                request.session["email"] = user.email
            # lang_pref: the account's preferences, looked up by the user row itself.
            get_user_model().objects.filter(pk=user.pk).exists()
            if not isinstance(user, get_user_model()):
                raise TypeError(f"request.user is {type(user).__name__}, not an LMS account")
        return response
