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
        "id": "Terima kasih, wawancara selesai. Berikut hasil penilaian dari jawaban Bapak/Ibu.",
        "en": "Thank you, the interview is complete. Here is the assessment of your answers.",
    },
    "section_of": {"id": "Bagian {number} dari {count}: {title}", "en": "Part {number} of {count}: {title}"},
    "review_title": {"id": "Jawaban Bapak/Ibu sejauh ini:", "en": "Your answers so far:"},
    "review_empty": {"id": "Belum ada jawaban.", "en": "No answers yet."},
    "nothing_open": {
        "id": "Tidak ada wawancara yang sedang berjalan.",
        "en": "There is no interview in progress.",
    },
    "scale_ends": {"id": "{min} = {min_label}, {max} = {max_label}", "en": "{min} = {min_label}, {max} = {max_label}"},
    "number_range": {"id": "Angka dari {min} sampai {max}.", "en": "A number from {min} to {max}."},
    "optional": {"id": "(boleh dilewati)", "en": "(optional)"},
    "check_title": {"id": "Periksa sebelum dikirim", "en": "Check before sending"},
    "check_intro": {
        "id": (
            "Semua pertanyaan sudah dijawab ({count} jawaban). Sebelum dikirim, Bapak/Ibu dapat "
            "memeriksa dan mengubah jawaban. Setelah dikirim, hasil penilaian langsung ditampilkan."
        ),
        "en": (
            "Every question is answered ({count} answers). Before sending, you can check and change "
            "your answers. Once they are sent, the assessment is shown at once."
        ),
    },
    "assessment_title": {"id": "Hasil penilaian sementara", "en": "Provisional assessment"},
    # Terminal only.
    "terminal_help": {
        "id": (
            "Jawab dengan nomor pilihan, teks pilihannya, atau jawaban Bapak/Ibu sendiri. Beberapa pilihan dipisahkan koma (1,3).\n"
            "Perintah: kembali (back), lewati (skip), tinjau (review), ubah <nomor> (edit <nomor>), "
            "jeda (pause), bantuan (help). Baris kosong = lewati bila boleh."
        ),
        "en": (
            "Answer with the choice number, its wording, or your own text. Separate several choices with commas (1,3).\n"
            "Commands: back, skip, review, edit <number>, pause, help. An empty line skips where allowed."
        ),
    },
    "terminal_check_review": {
        "id": "Periksa jawaban: ketik 1 atau tinjau; untuk mengubah sebuah jawaban, ketik ubah dan nomornya, misalnya ubah 3.",
        "en": "Check the answers: type 1 or review; to change an answer, type edit and its number, for example edit 3.",
    },
    "terminal_check_send": {
        "id": "Kirim jawaban dan lihat hasilnya: ketik 2 atau kirim.",
        "en": "Send the answers and see the result: type 2 or send.",
    },
    "terminal_check_hint": {
        "id": "Ketik 1 (periksa jawaban), 2 (kirim), ubah dan nomor jawaban, kembali, atau jeda.",
        "en": "Type 1 (check the answers), 2 (send), edit and an answer's number, back, or pause.",
    },
    "multi_hint": {
        "id": "(ketik nomornya; beberapa nomor dipisahkan koma, misalnya 1,3)",
        "en": "(type the numbers; separate several with commas, for example 1,3)",
    },
    "terminal_dont_know_words": {
        "id": "(Bila tidak tahu, ketik: {words})",
        "en": "(If you do not know, type: {words})",
    },
    "terminal_current_answer": {
        "id": "Jawaban saat ini: {answer} (Enter = tetap)",
        "en": "Current answer: {answer} (Enter = keep it)",
    },
    "terminal_commands_note": {
        "id": (
            "Untuk berhenti sejenak, ketik jeda; jawaban tersimpan dan dapat dilanjutkan nanti. "
            "Untuk menghapus seluruh jawaban, mintalah pengelola aplikasi ini menjalankan "
            "matang delete --respondent {respondent}."
        ),
        "en": (
            "To take a break, type pause; your answers are saved and you can continue later. "
            "To erase all your answers, ask whoever runs this program to run "
            "matang delete --respondent {respondent}."
        ),
    },
    "terminal_report_hint": {
        "id": "Laporan PDF hasil ini: matang report --session {session} --out hasil.pdf",
        "en": "A PDF report of this result: matang report --session {session} --out result.pdf",
    },
    "terminal_end_prompt": {
        "id": "Tekan Enter untuk keluar, atau ketik tinjau untuk melihat jawaban Bapak/Ibu.",
        "en": "Press Enter to leave, or type review to see your answers.",
    },
    "terminal_study_org": {
        "id": "Instansi (ditetapkan oleh studi): {organisation}",
        "en": "Agency (set by the study): {organisation}",
    },
    "terminal_recap_title": {"id": "Jawaban Bapak/Ibu:", "en": "Your answers:"},
    "terminal_finished_before": {
        "id": "Wawancara Bapak/Ibu sudah selesai. Berikut hasilnya.",
        "en": "Your interview is finished. Here is its result.",
    },
    "terminal_new_interview": {
        "id": "Mulai wawancara baru? Ketik ya untuk mulai, atau tekan Enter untuk keluar (tinjau = lihat jawaban).",
        "en": "Start a new interview? Type yes to begin, or press Enter to leave (review = see the answers).",
    },
    "terminal_prompt": {"id": "> ", "en": "> "},
    "terminal_consent_hint": {"id": "Ketik ya atau tidak.", "en": "Type yes or no."},
    "terminal_saved_eof": {
        "id": "Input berakhir. Jawaban tersimpan; jalankan `matang interview` lagi untuk melanjutkan.",
        "en": "Input ended. Your answers are saved; run `matang interview` again to resume.",
    },
    "terminal_edit_usage": {
        "id": "Tulis ubah dan nomor jawabannya pada daftar tinjauan, misalnya: ubah 3.",
        "en": "Type edit and the answer's number in the review list, for example: edit 3.",
    },
    "terminal_study_closed": {
        "id": "Studi {code} tidak ditemukan atau sudah ditutup.",
        "en": "Study {code} does not exist or is closed.",
    },
}


CHECK_WORDS = {
    "periksa": "review",
    "tinjau": "review",
    "check": "review",
    "review": "review",
    "kirim": "send",
    "send": "send",
    "submit": "send",
    "selesai": "send",
    "finish": "send",
}
"""What a respondent may type at the final check, in either language: look over the answers, or
send them (the terminal also takes 1 and 2, the numbers it shows)."""


def t(key: str, lang: str, **params: Any) -> str:
    """The text ``key`` in ``lang`` (Indonesian unless ``en``), with ``params`` filled in.

    >>> t("section", "en", title="Context")
    'Section: Context'
    """
    entry = TEXTS[key]
    text = entry["en" if lang == "en" else "id"]
    return text.format(**params) if params else text


# Telegram only (appended by the Telegram channel; keys start with ``tg_``).
TEXTS.update({
    "tg_study": {"id": "Studi: {name}", "en": "Study: {name}"},
    "tg_study_unknown": {
        "id": (
            "Mohon maaf, kode undangan \"{code}\" tidak dikenal atau studinya sudah ditutup. "
            "Bapak/Ibu tetap dapat mengikuti penilaian mandiri berikut."
        ),
        "en": (
            "Sorry, the invite code \"{code}\" is unknown or its study is closed. "
            "You can still take the self-assessment below."
        ),
    },
    "tg_minutes": {
        "id": "Perkiraan waktu: sekitar {minutes} menit.",
        "en": "It takes about {minutes} minutes.",
    },
    "tg_started": {
        "id": (
            "Terima kasih atas kesediaan Bapak/Ibu. Silakan ketuk tombol jawaban, atau ketik jawaban "
            "bila diminta. Setiap jawaban langsung tersimpan. Ketik /help kapan saja untuk bantuan."
        ),
        "en": (
            "Thank you for taking part. Tap an answer button, or type your answer when asked. "
            "Every answer is saved at once. Send /help at any time for help."
        ),
    },
    "tg_already_answered": {
        "id": "Pertanyaan ini sudah dijawab.",
        "en": "This question has already been answered.",
    },
    "tg_already_sent": {
        "id": "Jawaban Bapak/Ibu sudah dikirim, sehingga tidak dapat diubah lagi.",
        "en": "Your answers have been sent, so they can no longer be changed.",
    },
    "tg_done": {"id": "Selesai", "en": "Done"},
    "tg_skip_button": {"id": "Lewati", "en": "Skip"},
    "tg_hint_choice": {"id": "Silakan pilih satu jawaban.", "en": "Please choose one answer."},
    "tg_hint_multi": {
        "id": "Boleh memilih lebih dari satu: ketuk pilihan untuk menandainya (✓), lalu ketuk Selesai.",
        "en": "You may choose more than one: tap the options to tick them (✓), then tap Done.",
    },
    "tg_hint_scale": {"id": "Silakan pilih satu nilai.", "en": "Please choose one value."},
    "tg_hint_number": {
        "id": "Silakan ketik jawaban dalam angka.",
        "en": "Please type your answer as a number.",
    },
    "tg_hint_number_range": {
        "id": "Silakan ketik angka dari {min} sampai {max}.",
        "en": "Please type a number from {min} to {max}.",
    },
    "tg_hint_text": {
        "id": "Silakan ketik jawaban Bapak/Ibu (paling banyak {limit} karakter).",
        "en": "Please type your answer (at most {limit} characters).",
    },
    "tg_current_answer": {"id": "Jawaban saat ini: {answer}", "en": "Current answer: {answer}"},
    # A probe shows the answer it follows up (the question line already says it may be skipped).
    "probe_context": {
        "id": "Jawaban Bapak/Ibu tadi: “{answer}”",
        "en": "Your answer was: “{answer}”",
    },
    "choice_limit_reached": {
        "id": "Sudah {max} pilihan, batas untuk pertanyaan ini. Hapus salah satu centang bila ingin memilih yang lain.",
        "en": "That is {max} options, the most this question allows. Untick one to choose another.",
    },
    "tg_paused": {
        "id": (
            "Wawancara dijeda. Semua jawaban sudah tersimpan. Bapak/Ibu dapat melanjutkannya kapan "
            "saja dengan /resume atau tombol di bawah ini."
        ),
        "en": (
            "Interview paused. All answers are saved. You can resume at any time with /resume or "
            "the button below."
        ),
    },
    "tg_paused_offer": {
        "id": (
            "Wawancara Bapak/Ibu sedang dijeda dan semua jawaban sudah tersimpan. Apakah "
            "Bapak/Ibu ingin melanjutkannya sekarang?"
        ),
        "en": "Your interview is paused and all answers are saved. Would you like to resume now?",
    },
    "tg_resume_button": {"id": "Lanjutkan wawancara", "en": "Resume the interview"},
    "tg_no_interview": {
        "id": "Saat ini tidak ada wawancara yang sedang berjalan. Ketik /start untuk memulai.",
        "en": "There is no interview in progress. Send /start to begin.",
    },
    "tg_finished_already": {
        "id": (
            "Wawancara Bapak/Ibu sudah selesai. Ketik /result untuk melihat hasilnya lagi, atau "
            "/restart untuk memulai wawancara baru."
        ),
        "en": (
            "Your interview is finished. Send /result to see the result again, or /restart to "
            "start a new interview."
        ),
    },
    "tg_help": {
        "id": (
            "Cara menjawab:\n"
            "• Ketuk tombol jawaban, atau ketik angka atau teks bila diminta.\n"
            "• Untuk pertanyaan dengan beberapa pilihan, ketuk pilihan-pilihan yang sesuai (✓), lalu ketuk Selesai.\n"
            "• Pertanyaan terbuka juga dapat dijawab dengan pesan suara 🎙.\n"
            "• Setiap jawaban langsung tersimpan.\n\n"
            "Perintah:\n"
            "/back — kembali ke pertanyaan sebelumnya\n"
            "/skip — lewati pertanyaan yang boleh dilewati\n"
            "/review — tinjau dan ubah jawaban\n"
            "/pause — jeda wawancara; /resume — lanjutkan\n"
            "/result — lihat hasil terakhir\n"
            "/language — ganti bahasa (Indonesia/English)\n"
            "/restart — mulai wawancara baru\n"
            "/delete — hapus semua jawaban Bapak/Ibu\n"
            "/cancel — batalkan menu atau konfirmasi"
        ),
        "en": (
            "How to answer:\n"
            "• Tap an answer button, or type a number or text when asked.\n"
            "• For a question with several options, tap every option that applies (✓), then tap Done.\n"
            "• Open questions may also be answered with a voice message 🎙.\n"
            "• Every answer is saved at once.\n\n"
            "Commands:\n"
            "/back — go back to the previous question\n"
            "/skip — skip a question that may be skipped\n"
            "/review — review and change your answers\n"
            "/pause — pause the interview; /resume — continue\n"
            "/result — see your last result\n"
            "/language — switch language (Indonesia/English)\n"
            "/restart — start a new interview\n"
            "/delete — delete all your answers\n"
            "/cancel — close a menu or confirmation"
        ),
    },
    "tg_unknown_command": {
        "id": "Mohon maaf, perintah tersebut tidak dikenal. Ketik /help untuk melihat daftar perintah.",
        "en": "Sorry, I don't know that command. Send /help to see the commands.",
    },
    "tg_not_text": {
        "id": "Mohon maaf, Bapak/Ibu, pesan jenis ini tidak dapat saya baca di sini.",
        "en": "Sorry, I cannot read this kind of message here.",
    },
    "tg_expect_choice": {
        "id": "Untuk pertanyaan ini, silakan ketuk salah satu tombol jawaban di atas.",
        "en": "For this question, please tap one of the answer buttons above.",
    },
    "tg_expect_multi": {
        "id": "Untuk pertanyaan ini, silakan ketuk pilihan yang sesuai di atas, lalu ketuk Selesai.",
        "en": "For this question, please tap the options that apply above, then tap Done.",
    },
    "tg_expect_number": {
        "id": "Untuk pertanyaan ini, silakan ketik jawaban dalam angka.",
        "en": "For this question, please type your answer as a number.",
    },
    "tg_expect_text": {
        "id": "Untuk pertanyaan ini, silakan ketik jawaban Bapak/Ibu sebagai teks, atau kirim pesan suara.",
        "en": "For this question, please type your answer as text, or send a voice message.",
    },
    "tg_expect_typed": {
        "id": "Untuk pertanyaan ini, silakan ketik jawaban Bapak/Ibu sebagai teks.",
        "en": "For this question, please type your answer as text.",
    },
    "review_voice_only": {"id": "jawaban suara {recordings}", "en": "voice answer {recordings}"},
    "tg_voice_received": {
        "id": "🎙 Jawaban suara diterima ({duration}).",
        "en": "🎙 Voice answer received ({duration}).",
    },
    "tg_voice_too_big": {
        "id": (
            "Mohon maaf, Bapak/Ibu, rekaman ini terlalu besar untuk saya terima: Telegram hanya mengizinkan bot"
            " mengambil berkas hingga {limit} MB{size}. Mohon kirim rekaman yang lebih pendek, atau ketik"
            " jawabannya. Jawaban ini belum tersimpan."
        ),
        "en": (
            "Sorry, this recording is too large for me to receive: Telegram lets a bot fetch files of at most"
            " {limit} MB{size}. Please send a shorter recording, or type the answer. This answer is not saved yet."
        ),
    },
    "tg_voice_size": {
        "id": " (rekaman ini {size} MB)",
        "en": " (this one is {size} MB)",
    },
    "tg_voice_type_name": {
        "id": (
            "Mohon maaf, Bapak/Ibu, jawaban pertanyaan ini perlu diketik: nama ini dipakai untuk"
            " mengelompokkan hasil wawancara, sehingga tidak dapat diambil dari rekaman. Rekaman ini tidak"
            " disimpan. Pertanyaan terbuka berikutnya dapat dijawab dengan pesan suara."
        ),
        "en": (
            "Sorry, this answer needs to be typed: the name is used to group the interviews' results,"
            " so it cannot be taken from a recording. This recording was not kept. The open questions"
            " that follow may be answered with a voice message."
        ),
    },
    "tg_voice_failed": {
        "id": (
            "Mohon maaf, Bapak/Ibu, rekaman ini tidak dapat saya ambil dari Telegram. Jawaban ini belum"
            " tersimpan; mohon kirim rekaman itu sekali lagi sebentar lagi."
        ),
        "en": "Sorry, I could not fetch this recording from Telegram. The answer is not saved yet; please send it again"
              " in a moment.",
    },
    "tg_expect_note": {
        "id": "Silakan ketuk tombol Lanjut untuk meneruskan.",
        "en": "Please tap Continue to go on.",
    },
    "tg_edited_message": {
        "id": (
            "Perubahan pada pesan yang sudah terkirim tidak dibaca. Untuk mengubah jawaban, "
            "silakan gunakan /back atau /review."
        ),
        "en": (
            "Edits to messages already sent are not read. To change an answer, please use /back "
            "or /review."
        ),
    },
    "tg_restart_confirm": {
        "id": (
            "Mulai wawancara baru dari awal? Wawancara yang sedang berjalan akan dihentikan; "
            "jawabannya tetap tersimpan sebagai wawancara yang tidak diselesaikan."
        ),
        "en": (
            "Start a new interview from the beginning? The current interview will be stopped; "
            "its answers stay recorded as an unfinished interview."
        ),
    },
    "tg_restart_yes": {"id": "Ya, mulai baru", "en": "Yes, start again"},
    "tg_new_study_offer": {
        "id": (
            "Bapak/Ibu masih memiliki wawancara yang belum selesai (pertanyaan {progress}). "
            "Lanjutkan wawancara tersebut, atau mulai wawancara baru untuk studi ini?"
        ),
        "en": (
            "You have an unfinished interview (question {progress}). Continue it, or start a new "
            "interview for this study?"
        ),
    },
    "tg_start_new_button": {"id": "Mulai wawancara baru", "en": "Start a new interview"},
    "tg_cancel_button": {"id": "Batal", "en": "Cancel"},
    "tg_delete_confirm": {
        "id": (
            "Hapus semua jawaban dan wawancara Bapak/Ibu? Data yang sudah dihapus tidak dapat "
            "dikembalikan."
        ),
        "en": "Delete all your answers and interviews? Deleted data cannot be recovered.",
    },
    "tg_delete_yes": {"id": "Ya, hapus semuanya", "en": "Yes, delete everything"},
    "tg_deleted": {
        "id": (
            "Semua jawaban dan wawancara Bapak/Ibu telah dihapus. Terima kasih. Ketik /start bila "
            "ingin memulai lagi."
        ),
        "en": (
            "All your answers and interviews have been deleted. Thank you. Send /start if you "
            "wish to begin again."
        ),
    },
    "tg_deleted_scrub_pending": {
        "id": (
            "Semua jawaban dan wawancara Bapak/Ibu telah dihapus. Sisa terakhirnya di disk server "
            "ditimpa segera setelah server selesai membaca basis data (biasanya dalam beberapa "
            "menit). Terima kasih. Ketik /start bila ingin memulai lagi."
        ),
        "en": (
            "All your answers and interviews have been deleted. Their last traces on the server's "
            "disk are overwritten as soon as the server finishes reading the database (usually "
            "within minutes). Thank you. Send /start if you wish to begin again."
        ),
    },
    "tg_nothing_stored": {
        "id": "Tidak ada data Bapak/Ibu yang tersimpan.",
        "en": "There is no data of yours stored.",
    },
    "tg_cancelled": {"id": "Baik, dibatalkan.", "en": "OK, cancelled."},
    "tg_language_choose": {"id": "Silakan pilih bahasa:", "en": "Please choose a language:"},
    "tg_language_set": {
        "id": "Bahasa telah diganti ke Bahasa Indonesia.",
        "en": "The language is now English.",
    },
    "tg_no_result": {
        "id": "Belum ada hasil. Hasil penilaian tersedia setelah wawancara selesai.",
        "en": "There is no result yet. The assessment is available once an interview is finished.",
    },
    "tg_result_full": {"id": "📖 Penjelasan lengkap", "en": "📖 Full explanation"},
    "tg_result_tips": {"id": "💡 Semua saran", "en": "💡 All suggestions"},
    "tg_result_pdf": {"id": "📄 Laporan PDF", "en": "📄 PDF report"},
    "tg_report_caption": {"id": "Laporan penilaian Bapak/Ibu", "en": "Your assessment report"},
    "tg_split_text": {
        "id": (
            "Pesan Bapak/Ibu lebih panjang dari 4.096 karakter, sehingga Telegram memecahnya menjadi "
            "beberapa pesan. Jawaban ini belum disimpan. Mohon kirim ringkasannya dalam satu pesan, "
            "paling banyak {limit} karakter."
        ),
        "en": (
            "Your message is longer than 4,096 characters, so Telegram split it into several messages. "
            "This answer has not been saved. Please send a summary in one message, at most {limit} "
            "characters."
        ),
    },
    "tg_chart_failed": {
        "id": (
            "Grafik hasil belum dapat dikirim saat ini. Hasil dan jawaban Bapak/Ibu sudah tersimpan; "
            "ketik /result kapan saja untuk melihat hasil beserta grafiknya lagi."
        ),
        "en": (
            "The result chart could not be sent just now. Your result and answers are saved; "
            "send /result at any time to see the result and its chart again."
        ),
    },
    "tg_chart_caption": {
        "id": "Grafik pemenuhan kriteria per tingkat. Ketik /result untuk melihat hasil ini lagi.",
        "en": "Fulfilment per level and criterion. Send /result to see this result again.",
    },
    "tg_result_unavailable": {
        "id": (
            "Mohon maaf, hasil penilaian belum dapat ditampilkan saat ini. Jawaban Bapak/Ibu sudah "
            "tersimpan; silakan coba /result beberapa saat lagi."
        ),
        "en": (
            "Sorry, the assessment cannot be shown right now. Your answers are saved; please try "
            "/result again shortly."
        ),
    },
    "tg_error": {
        "id": (
            "Mohon maaf, terjadi kendala saat memproses pesan Bapak/Ibu. Jawaban sebelumnya tetap "
            "tersimpan; silakan coba lagi."
        ),
        "en": (
            "Sorry, something went wrong while handling your message. Your earlier answers are "
            "saved; please try again."
        ),
    },
    "terminal_storage_fault": {
        "id": (
            "Mohon maaf, jawaban terakhir belum tersimpan karena gangguan penyimpanan. Jawaban "
            "sebelumnya tetap aman. Setelah masalah penyimpanan diatasi, jalankan `matang interview` "
            "lagi untuk melanjutkan dari pertanyaan yang sama."
        ),
        "en": (
            "Sorry, the last answer was not saved because of a storage problem. Your earlier answers "
            "are safe. Once the storage problem is fixed, run `matang interview` again to continue "
            "from the same question."
        ),
    },
    "tg_storage_fault": {
        "id": (
            "Mohon maaf, pesan terakhir Bapak/Ibu belum dapat disimpan karena gangguan penyimpanan di "
            "server kami. Jawaban sebelumnya tetap aman. Mohon kirim kembali jawaban tersebut "
            "beberapa saat lagi."
        ),
        "en": (
            "Sorry, your last message could not be saved because of a storage problem on our "
            "server. Your earlier answers are safe. Please send that answer again in a little while."
        ),
    },
    "tg_reminder": {
        "id": (
            "Yth. Bapak/Ibu, wawancara Matang belum selesai (pertanyaan {progress}). Semua jawaban "
            "sudah tersimpan; Bapak/Ibu dapat melanjutkannya kapan saja."
        ),
        "en": (
            "Your Matang interview is not finished yet (question {progress}). All answers are "
            "saved; you can continue whenever you like."
        ),
    },
    "tg_check_review_button": {"id": "📝 Periksa jawaban", "en": "📝 Check the answers"},
    "tg_check_send_button": {"id": "✅ Kirim jawaban", "en": "✅ Send the answers"},
    "tg_check_sent": {"id": "✅ Jawaban sudah dikirim.", "en": "✅ The answers were sent."},
    "tg_check_review_hint": {
        "id": "Ketuk ✏️ dengan nomor jawaban untuk mengubahnya, atau ✅ Kirim jawaban bila sudah sesuai.",
        "en": "Tap ✏️ with an answer's number to change it, or ✅ Send the answers when they are right.",
    },
    "tg_reminder_check": {
        "id": (
            "Jawaban wawancara Matang Bapak/Ibu sudah lengkap, tetapi belum dikirim. Ketuk tombol di "
            "bawah untuk memeriksa dan mengirimnya; hasil penilaian langsung ditampilkan."
        ),
        "en": (
            "Your Matang interview is complete but not sent yet. Tap the button below to check and "
            "send your answers; the assessment is shown at once."
        ),
    },
    "tg_review_page": {"id": "Halaman {page} dari {pages}", "en": "Page {page} of {pages}"},
    "tg_review_hint": {
        "id": "Ketuk ✏️ dengan nomor jawaban untuk mengubahnya.",
        "en": "Tap ✏️ with an answer's number to change it.",
    },
    "tg_review_resume_hint": {
        "id": "Lanjutkan wawancara terlebih dahulu (/resume) untuk mengubah jawaban.",
        "en": "Resume the interview first (/resume) to change an answer.",
    },
    "tg_cmd_start": {"id": "Mulai atau lanjutkan wawancara", "en": "Start or continue the interview"},
    "tg_cmd_help": {"id": "Bantuan", "en": "Help"},
    "tg_cmd_language": {"id": "Ganti bahasa (Indonesia/English)", "en": "Switch language (Indonesia/English)"},
    "tg_cmd_back": {"id": "Kembali ke pertanyaan sebelumnya", "en": "Go back to the previous question"},
    "tg_cmd_skip": {"id": "Lewati pertanyaan (bila boleh)", "en": "Skip the question (where allowed)"},
    "tg_cmd_review": {"id": "Tinjau dan ubah jawaban", "en": "Review and change answers"},
    "tg_cmd_pause": {"id": "Jeda wawancara", "en": "Pause the interview"},
    "tg_cmd_resume": {"id": "Lanjutkan wawancara", "en": "Resume the interview"},
    "tg_cmd_result": {"id": "Lihat hasil terakhir", "en": "See the last result"},
    "tg_cmd_restart": {"id": "Mulai wawancara baru", "en": "Start a new interview"},
    "tg_cmd_delete": {"id": "Hapus semua jawaban saya", "en": "Delete all my answers"},
    "tg_cmd_cancel": {"id": "Batalkan menu atau konfirmasi", "en": "Cancel a menu or confirmation"},
    "tg_cmd_myreport": {"id": "Laporan PDF hasil penilaian saya", "en": "My assessment as a PDF report"},
})
