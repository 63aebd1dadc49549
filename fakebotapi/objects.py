"""Builders and checks for the Telegram objects the fake server hands out or receives."""

from __future__ import annotations

import itertools
import struct
from html.parser import HTMLParser
from typing import Any

_file_counter = itertools.count(1)

# Tags Telegram accepts with parse_mode HTML.
_HTML_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
    "br",
}


class ApiError(Exception):
    """A Bot API error answer: HTTP `code`, Telegram `description`, optional `parameters`."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(what: str) -> ApiError:
    """A 400 with Telegram's "Bad Request: ..." wording."""
    return ApiError(400, f"Bad Request: {what}")


def new_file_ids() -> tuple[str, str]:
    """A fresh `(file_id, file_unique_id)` pair."""
    n = next(_file_counter)
    return f"FAKEFILE{n:08d}", f"U{n:08d}"


_FOLDERS = {"audio": "voice", "image": "photos", "video": "videos"}


def file_path_for(stored: Any, n: int) -> str:
    """Where the Bot API serves a file: a folder by kind and `file_<n>` with its extension.

    >>> class F: filename, content_type = "voice.ogg", "audio/ogg"
    >>> file_path_for(F, 3)
    'voice/file_3.ogg'
    """
    kind = (stored.content_type or "").split("/")[0]
    folder = _FOLDERS.get(kind, "documents")
    name = stored.filename or ""
    ext = name[name.rindex("."):] if "." in name else ""
    return f"{folder}/file_{n}{ext}"


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG; (800, 600) for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker, seg_len = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(w), int(h)
            i += 2 + seg_len
    return 800, 600


def photo_sizes(file_id: str, unique_id: str, data: bytes | None) -> list[dict[str, Any]]:
    """The PhotoSize list Telegram returns for a photo: a thumbnail and the full size."""
    w, h = image_size(data) if data else (800, 600)
    size = len(data) if data else 0
    scale = min(1.0, 90 / max(w, h, 1))
    return [
        {
            "file_id": file_id + "_s",
            "file_unique_id": unique_id + "s",
            "width": max(1, int(w * scale)),
            "height": max(1, int(h * scale)),
            "file_size": min(size, 2000),
        },
        {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "width": w,
            "height": h,
            "file_size": size,
        },
    ]


def document_object(
    file_id: str, unique_id: str, data: bytes | None, filename: str | None, mime: str | None
) -> dict[str, Any]:
    """The Document object Telegram returns for a file."""
    doc: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique_id}
    if filename:
        doc["file_name"] = filename
    if mime:
        doc["mime_type"] = mime
    if data is not None:
        doc["file_size"] = len(data)
    return doc


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


class _HtmlChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.plain: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in _HTML_TAGS:
            raise bad_request(f'can\'t parse entities: Unsupported start tag "{tag}"')
        if tag != "br":
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise bad_request(
                f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\""
            )
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.plain.append(data)


def check_formatted(text: str, parse_mode: str | None) -> str:
    """Reject HTML that Telegram would refuse ("can't parse entities"); return the plain text.

    Only parse_mode HTML is checked; MarkdownV2 and no parse mode pass through.
    """
    if (parse_mode or "").upper() != "HTML":
        return text
    checker = _HtmlChecker()
    checker.feed(text)
    checker.close()
    if checker.stack:
        raise bad_request(
            f"can't parse entities: Can't find end tag corresponding to start tag "
            f'"{checker.stack[-1]}"'
        )
    return "".join(checker.plain)


def check_markup(markup: Any) -> dict[str, Any] | None:
    """Validate a reply_markup (already JSON-decoded) like Telegram does; return it as a dict."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is not None:
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('field "inline_keyboard" must be an Array of Array')
        for row in rows:
            for b in row:
                if not isinstance(b, dict) or not b.get("text"):
                    raise bad_request(
                        "can't parse inline keyboard button: Text buttons are "
                        "unallowed in the inline keyboard"
                    )
                data = b.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
    return markup
