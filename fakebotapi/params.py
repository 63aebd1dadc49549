"""Decode a Bot API request body (query, form, multipart or JSON) into typed parameters."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from .records import UploadedFile

# Parameters whose value is free text: never turned into numbers, booleans or JSON.
_TEXT_KEYS = {
    "text",
    "caption",
    "callback_query_id",
    "url",
    "secret_token",
    "description",
    "short_description",
    "name",
    "file_name",
    "inline_message_id",
    "query",
    "parse_mode",
    "language_code",
    "action",
    "photo",
    "document",
    "file_id",
    "title",
    "ip_address",
}
_INT = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?\d+\.\d+")


def decode_value(key: str, value: str) -> Any:
    """Turn one form field back into what the client meant: JSON, int, float, bool or str."""
    if key in _TEXT_KEYS:
        return value
    stripped = value.strip()
    if stripped[:1] in "[{":
        try:
            return json.loads(stripped)
        except ValueError:
            return value
    if stripped in ("true", "false"):
        return stripped == "true"
    if _INT.fullmatch(stripped):
        return int(stripped)
    if _FLOAT.fullmatch(stripped):
        return float(stripped)
    return value


async def read_request(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Parameters and uploaded files of a request, whatever encoding the client used."""
    params: dict[str, Any] = {k: decode_value(k, v) for k, v in request.query.items()}
    files: dict[str, UploadedFile] = {}
    if request.method != "POST" or not request.can_read_body:
        return params, files
    ctype = request.content_type
    if ctype == "application/json":
        body = await request.read()
        if body.strip():
            data = json.loads(body)
            if isinstance(data, dict):
                # As the Bot API reads JSON: a string field means what it means in a form
                # ("123", a keyboard as a JSON string), any other value is taken as it is.
                params.update({k: decode_value(k, v) if isinstance(v, str) else v for k, v in data.items()})
        return params, files
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            files[key] = UploadedFile(value.file.read(), value.filename, value.content_type)
        elif isinstance(value, str):
            params[key] = decode_value(key, value)
    return params, files
