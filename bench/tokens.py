"""
JWTs as the LMS's OAuth2 provider issues them (the sandbox's issuer, audience and key), for the
callers of the bench Coordinator: the store calling its fulfillment view, and its worker calling the
LMS's enrollment API. Standard claims only; ``administrator`` makes the caller staff, as a service
user's client-credentials token does.
"""

import time

import jwt

TTL = 3600


def service_token(username, jwt_auth):
    """A signed token for service user ``username`` under the ``JWT_AUTH`` settings given."""
    issuer = jwt_auth["JWT_ISSUERS"][0]
    now = int(time.time())
    payload = {
        "iss": issuer["ISSUER"],
        "aud": issuer["AUDIENCE"],
        "preferred_username": username,
        "email": f"{username}@example.com",
        "administrator": True,
        "iat": now,
        "exp": now + TTL,
        "scopes": [],
        "version": "1.1.0",
        "filters": [],
        "is_restricted": False,
    }
    return jwt.encode(payload, issuer["SECRET_KEY"], algorithm=jwt_auth.get("JWT_ALGORITHM", "HS256"))
