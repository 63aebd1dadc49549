"""The Telegram channel: the interview in a chat, run by ``matang run``.

``app`` is the wiring table: it builds the python-telegram-bot application
(``build_application``) and says which update goes to which handler. The handlers live in rooms
named after what they do:

- ``conversation``: what every handler does first and last (the person, their open interview or
  why there is none, their language, the reply recorded);
- ``chat_commands``: /start, /help, /back, /review, /pause … (``command`` is ``matang run``'s
  command line);
- ``messages``: a typed answer, anything else sent, an edited message; ``voice``: a voice note;
- ``buttons``: every inline button; ``consent``: the greeting, the language, confirmations;
- ``steps``: a question, the answer shown on it, the result (``results``: its parts and chart);
- ``recovery``: redelivered updates and what a crash left unsent; ``errors``: the error handler;
- ``research``: the researchers' commands.

Below them: ``render`` and ``keyboards`` make the messages and buttons, ``split_text`` recognises
a long text Telegram cut in pieces, ``delivery`` and ``transport`` talk to the Bot API,
``webhook`` receives updates on a webhook, ``reminders`` sends the one reminder of an unfinished
interview, and ``context`` is the state the handlers share.
"""
