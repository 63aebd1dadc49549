"""Every keyboard the bot sends serialises exactly as python-telegram-bot would serialise it
(``keyboards.Keyboard`` writes the dict itself, for speed)."""

from __future__ import annotations

import json

import pytest
from telegram import InlineKeyboardMarkup

from bot.telegram import keyboards as kb
from interview_flows.loader import load_flow


def library_dict(keyboard: kb.Keyboard) -> dict:
    return InlineKeyboardMarkup.to_dict(keyboard)


def every_keyboard(lang: str):
    flow = load_flow("ogmm-social-media")
    for position, q in enumerate(flow.questions):
        ticks = [[]] + ([[c.value for c in q.choices[:2]]] if q.type == "multiple_choice" else [])
        for ticked in ticks:
            keyboard = kb.question_keyboard(q, 42, position, lang, ticked)
            if keyboard is not None:
                yield keyboard
    yield kb.consent_keyboard(lang, "ABC123", 7)
    yield kb.consent_keyboard(lang)
    yield kb.resume_keyboard(42, lang)
    yield kb.restart_keyboard(42, "ABC123", lang, offer_continue=True)
    yield kb.restart_keyboard(42, "", lang)
    yield kb.delete_keyboard(lang)
    yield kb.language_keyboard()
    yield kb.check_keyboard(42, lang)
    yield kb.result_keyboard(42, lang)
    yield kb.review_keyboard(42, [(1, 0), (2, 1), (3, 2), (4, 3), (5, 4)], 0, 2, send_lang=lang)
    yield kb.review_keyboard(42, [(6, 5)], 1, 2)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_keyboard_is_written_as_the_library_writes_it(lang):
    keyboards = list(every_keyboard(lang))
    assert len(keyboards) > 40
    for keyboard in keyboards:
        assert isinstance(keyboard, kb.Keyboard)
        assert keyboard.to_dict() == library_dict(keyboard)
        # And as it travels in a request: the same JSON text.
        assert json.dumps(keyboard.to_dict()) == json.dumps(library_dict(keyboard))
