"""A fake Telegram Bot API server for end-to-end tests and benchmarks.

It speaks the Bot API over real HTTP on 127.0.0.1, so a python-telegram-bot application (or
`matang run` in a subprocess) talks to it exactly as it would to Telegram. Simulated users send
updates and wait for the bot's answers; faults (errors, 429s, dropped connections, delays) can
be injected per method.
"""

from .objects import ApiError
from .records import BotMessage, Button, Call, ChatEvent, UploadedFile
from .server import DEFAULT_TOKEN, FakeBotApi
from .threaded import Blocking, FakeBotApiThread
from .users import TINY_PNG, SimUser
from .webhook import Delivery, WebhookConfig

__all__ = [
    "DEFAULT_TOKEN",
    "TINY_PNG",
    "ApiError",
    "Blocking",
    "BotMessage",
    "Button",
    "Call",
    "ChatEvent",
    "Delivery",
    "FakeBotApi",
    "FakeBotApiThread",
    "SimUser",
    "UploadedFile",
    "WebhookConfig",
]
