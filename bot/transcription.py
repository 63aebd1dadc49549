"""Transcription of voice answers: the seam where a speech-to-text engine would plug in.

Matang promises no transcription: no offline Indonesian speech model can be installed with it.
A :class:`Transcriber` turns a recording's bytes into text; the default, :class:`NoTranscriber`,
returns None, and every recording is then kept and exported as audio only. An engine plugged in
as ``BotContext.extra["transcriber"]`` (read by :func:`bot.telegram.voice.transcriber_of`) gives
the text that is stored beside the recording (``recordings.transcript``) and exported with it;
the answer's own text is never replaced. It runs on the bot's event loop: an engine that takes
more than a few milliseconds belongs in a worker thread or a queue of its own.
"""

from __future__ import annotations

from typing import Protocol


class Transcriber(Protocol):
    """Speech to text for one recording."""

    def transcribe(self, audio: bytes, mime_type: str, lang: str) -> str | None:
        """The words spoken in ``audio`` (in ``lang``, ``id`` or ``en``), or None when unknown."""
        ...


class NoTranscriber:
    """The default: nothing is transcribed.

    >>> NoTranscriber().transcribe(b"OggS", "audio/ogg", "id") is None
    True
    """

    def transcribe(self, audio: bytes, mime_type: str, lang: str) -> str | None:
        """Always None: the recording stays audio only."""
        return None


NO_TRANSCRIBER = NoTranscriber()
