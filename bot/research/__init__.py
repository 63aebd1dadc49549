"""Research tools: studies with invite links, pseudonymous exports, PDF reports.

- :mod:`bot.research.studies` — create, list, close and follow studies (``matang study``)
- :mod:`bot.research.exports` — csv, csv-wide, xlsx, jsonl, transcripts, qdpx (``matang export``)
- :mod:`bot.research.reports` — PDF reports of a session or a study (``matang report``)
- :mod:`bot.research.pseudonyms` — the keyed hash that stands for a respondent

The channels that use them stand above this package (see the layer diagram in the development
docs): :mod:`bot.telegram.research` — ``/studies``, ``/status``, ``/export``, ``/report``,
``/myreport`` — and :mod:`bot.commands.research`, the command-line layer (argument parsing only).
"""
