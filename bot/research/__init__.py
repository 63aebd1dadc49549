"""Research tools: studies with invite links, pseudonymous exports, PDF reports, Telegram commands.

- :mod:`bot.research.studies` — create, list, close and follow studies (``matang study``)
- :mod:`bot.research.exports` — csv, csv-wide, xlsx, jsonl, transcripts, qdpx (``matang export``)
- :mod:`bot.research.reports` — PDF reports of a session or a study (``matang report``)
- :mod:`bot.research.pseudonyms` — the keyed hash that stands for a respondent
- :mod:`bot.research.telegram` — ``/studies``, ``/status``, ``/export``, ``/report``, ``/myreport``
- :mod:`bot.research.command` — the command-line layer (argument parsing only)
"""
