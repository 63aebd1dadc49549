"""The engine's messages in both languages: errors are codes, texts are made here."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "note_not_answerable": {
        "id": "Bagian ini hanya informasi dan tidak perlu dijawab.",
        "en": "This part is for information only and needs no answer.",
    },
    "dont_know_not_offered": {
        "id": 'Pertanyaan ini tidak menyediakan pilihan "tidak tahu".',
        "en": 'This question does not offer "don\'t know".',
    },
    "unknown_choice": {
        "id": '"{value}" bukan salah satu pilihan. Mohon pilih salah satu pilihan yang tersedia.',
        "en": '"{value}" is not one of the choices. Please pick one of the choices offered.',
    },
    "choose_at_least_one": {
        "id": "Mohon pilih setidaknya satu pilihan.",
        "en": "Please choose at least one option.",
    },
    "exclusive_choice": {
        "id": '"{label_id}" tidak dapat digabungkan dengan pilihan lain.',
        "en": '"{label_en}" cannot be combined with other options.',
    },
    "not_a_number": {
        "id": "Mohon jawab dengan angka, misalnya 3.",
        "en": "Please answer with a number, for example 3.",
    },
    "not_a_whole_number": {
        "id": "Mohon jawab dengan bilangan bulat, misalnya 3.",
        "en": "Please answer with a whole number, for example 3.",
    },
    "number_out_of_range": {
        "id": "Mohon isi angka dari {min} sampai {max}.",
        "en": "Please give a number from {min} to {max}.",
    },
    "text_expected": {
        "id": "Mohon jawab dengan teks.",
        "en": "Please answer in text.",
    },
    "empty_text": {
        "id": "Jawaban masih kosong. Mohon tuliskan jawaban Bapak/Ibu.",
        "en": "The answer is empty. Please write your answer.",
    },
    "text_too_long": {
        "id": "Jawaban terlalu panjang ({length} karakter). Batasnya {limit} karakter; mohon persingkat.",
        "en": "The answer is too long ({length} characters). The limit is {limit} characters; please shorten it.",
    },
    "not_skippable": {
        "id": "Pertanyaan ini wajib dijawab dan tidak dapat dilewati.",
        "en": "This question needs an answer and cannot be skipped.",
    },
    "nothing_before": {
        "id": "Ini pertanyaan pertama; tidak ada pertanyaan sebelumnya.",
        "en": "This is the first question; there is no earlier one.",
    },
    "not_asking": {
        "id": "Wawancara sedang tidak menunggu jawaban.",
        "en": "The interview is not waiting for an answer right now.",
    },
    "not_paused": {
        "id": "Wawancara tidak sedang dijeda.",
        "en": "The interview is not paused.",
    },
    "already_finished": {
        "id": "Wawancara ini sudah selesai.",
        "en": "This interview has already finished.",
    },
    "already_withdrawn": {
        "id": "Wawancara ini sudah dibatalkan.",
        "en": "This interview has been withdrawn.",
    },
    "not_started": {
        "id": "Wawancara belum dimulai.",
        "en": "The interview has not started yet.",
    },
    "fixed_by_study": {
        "id": "Jawaban ini ditetapkan oleh studi dan hanya dapat diubah oleh peneliti.",
        "en": "This answer is set by the study and only the researcher can change it.",
    },
    "not_relevant": {
        "id": "Pertanyaan itu tidak berlaku berdasarkan jawaban Bapak/Ibu sebelumnya.",
        "en": "That question does not apply given your earlier answers.",
    },
    "unknown_question": {
        "id": 'Pertanyaan "{question}" tidak ada dalam wawancara ini.',
        "en": 'There is no question "{question}" in this interview.',
    },
    "not_answered_yet": {
        "id": "Pertanyaan itu belum dijawab.",
        "en": "That question has not been answered yet.",
    },
    "questions_remaining": {
        "id": "Masih ada {count} pertanyaan wajib yang belum dijawab.",
        "en": "{count} required question(s) still need an answer.",
    },
}


def message(code: str, lang: str, **params: Any) -> str:
    """The message ``code`` in ``lang`` (Indonesian by default), with ``params`` filled in.

    >>> message("number_out_of_range", "en", min=0, max=50)
    'Please give a number from 0 to 50.'
    """
    entry = MESSAGES[code]
    return entry["en" if lang == "en" else "id"].format(**params)
