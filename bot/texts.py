"""What the channels say, in Bahasa Indonesia and English. Keys are stable; texts say the same thing."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    # Shared by the terminal and Telegram.
    "consent_question": {
        "id": "Apakah Bapak/Ibu bersedia mengikuti wawancara ini?",
        "en": "Do you agree to take part in this interview?",
    },
    "consent_yes": {"id": "Ya, saya bersedia", "en": "Yes, I agree"},
    "consent_no": {"id": "Tidak", "en": "No"},
    "consent_refused": {
        "id": "Terima kasih. Tidak ada jawaban yang direkam. Bapak/Ibu dapat memulai kapan saja.",
        "en": "Thank you. No answers have been recorded. You can start at any time.",
    },
    "resuming": {
        "id": "Melanjutkan wawancara yang belum selesai (pertanyaan {progress}).",
        "en": "Resuming your unfinished interview (question {progress}).",
    },
    "paused": {
        "id": "Wawancara dijeda. Semua jawaban sudah tersimpan; Bapak/Ibu dapat melanjutkannya kapan saja.",
        "en": "Interview paused. All answers are saved; you can resume at any time.",
    },
    "section": {"id": "Bagian: {title}", "en": "Section: {title}"},
    "dont_know": {"id": "Tidak tahu", "en": "Don't know"},
    "skipped": {"id": "(dilewati)", "en": "(skipped)"},
    "continue": {"id": "Lanjut", "en": "Continue"},
    "finished": {
        "id": "Terima kasih, wawancara selesai. Berikut ringkasan jawaban Bapak/Ibu.",
        "en": "Thank you, the interview is complete. Here is a summary of your answers.",
    },
    "review_title": {"id": "Jawaban Bapak/Ibu sejauh ini:", "en": "Your answers so far:"},
    "review_empty": {"id": "Belum ada jawaban.", "en": "No answers yet."},
    "nothing_open": {
        "id": "Tidak ada wawancara yang sedang berjalan.",
        "en": "There is no interview in progress.",
    },
    "scale_ends": {"id": "{min} = {min_label}, {max} = {max_label}", "en": "{min} = {min_label}, {max} = {max_label}"},
    "number_range": {"id": "Angka dari {min} sampai {max}.", "en": "A number from {min} to {max}."},
    "optional": {"id": "(boleh dilewati)", "en": "(optional)"},
    "assessment_title": {"id": "Hasil penilaian sementara", "en": "Provisional assessment"},
    # Terminal only.
    "terminal_help": {
        "id": (
            "Jawab dengan nomor pilihan, nilai, atau teks. Beberapa pilihan dipisahkan koma (1,3).\n"
            "Perintah: kembali (back), lewati (skip), tinjau (review), ubah N (edit N), "
            "jeda (pause), bantuan (help). Baris kosong = lewati bila boleh."
        ),
        "en": (
            "Answer with the choice number, its value, or text. Separate several choices with commas (1,3).\n"
            "Commands: back, skip, review, edit N, pause, help. An empty line skips where allowed."
        ),
    },
    "multi_hint": {
        "id": "(boleh lebih dari satu; pisahkan dengan koma, misalnya 1,3)",
        "en": "(more than one allowed; separate with commas, for example 1,3)",
    },
    "terminal_prompt": {"id": "> ", "en": "> "},
    "terminal_consent_hint": {"id": "Ketik ya atau tidak.", "en": "Type yes or no."},
    "terminal_saved_eof": {
        "id": "Input berakhir. Jawaban tersimpan; jalankan `matang interview` lagi untuk melanjutkan.",
        "en": "Input ended. Your answers are saved; run `matang interview` again to resume.",
    },
    "terminal_edit_usage": {
        "id": "Tulis: ubah N, dengan N nomor jawaban pada daftar tinjauan.",
        "en": "Type: edit N, where N is the answer's number in the review list.",
    },
    "terminal_study_closed": {
        "id": "Studi {code} tidak ditemukan atau sudah ditutup.",
        "en": "Study {code} does not exist or is closed.",
    },
}


def t(key: str, lang: str, **params: Any) -> str:
    """The text ``key`` in ``lang`` (Indonesian unless ``en``), with ``params`` filled in.

    >>> t("section", "en", title="Context")
    'Section: Context'
    """
    entry = TEXTS[key]
    text = entry["en" if lang == "en" else "id"]
    return text.format(**params) if params else text
