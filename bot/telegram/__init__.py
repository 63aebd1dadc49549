"""The Telegram channel: the interview in a chat, run by ``matang run``.

``app`` wires the python-telegram-bot application (``build_application``), ``handlers`` holds one
small handler per command, button and kind of message, ``render`` and ``keyboards`` make the
messages and buttons, ``delivery`` talks to the Bot API with retries, ``reminders`` sends the one
reminder of an unfinished interview, ``context`` is what the handlers share, and ``command`` is
the click command.
"""
