"""
Request bodies are JSON, whatever ``Content-Type`` says, when they are a JSON object.

A store signs the raw bytes, and tools send them with their own default type (``curl --data`` says
``application/x-www-form-urlencoded``); reading such a body as a form would lose every field after
the signature had passed. A body that is no JSON object under another type is refused with 415,
naming the type expected. Under ``application/json`` the body must be a valid JSON object (400 if
not: an array, a string or a number is valid JSON but no order, revocation or request).
"""

import json

from django.conf import settings
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser

EXPECTED = "application/json"


def declares_json(media_type):
    return (media_type or "").split(";")[0].strip().lower() == EXPECTED


def not_json(media_type):
    """The error for a body that cannot be read: 400 if it claimed to be JSON, else 415 naming JSON."""
    if declares_json(media_type):
        return ParseError("The body is not valid JSON.")
    sent = media_type or "no content type"
    return UnsupportedMediaType(
        sent, detail=f"Send the body as JSON (Content-Type: {EXPECTED}): this one ({sent}) is no JSON object."
    )


def not_an_object():
    """The error for valid JSON that is not an object (an array, a string, a number): 400."""
    return ParseError("The body must be a JSON object ({...}).")


def too_large_detail():
    """What a body over Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is told (413), on every endpoint."""
    return f"The body is larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes this server accepts."


class JsonBodyParser(JSONParser):
    """DRF's JSON parser, which also takes a JSON object sent under another (or no) content type."""

    def parse(self, stream, media_type=None, parser_context=None):
        if declares_json(media_type):
            parsed = super().parse(stream, media_type, parser_context)
            if not isinstance(parsed, dict):
                raise not_an_object()
            return parsed
        try:
            parsed = json.loads(stream.read())
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise not_json(media_type)
        return parsed


class JsonBodyNegotiation(DefaultContentNegotiation):
    """Every body goes to :class:`JsonBodyParser`, which decides; responses are negotiated as usual."""

    def select_parser(self, request, parsers):
        return next((parser for parser in parsers if isinstance(parser, JsonBodyParser)), None)
