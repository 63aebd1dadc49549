"""Crash safety under concurrency: ``matang run`` is killed with SIGKILL at random moments while
many respondents interview at the same time, restarted, and the respondents carry on.

Each respondent is a thread that acts as a person does, from what is on the screen only (never
from the database), one Telegram account (one interview) after another: it answers the newest
question, waits a few seconds for the bot's reply, and when none comes looks again and acts again
(a lost answer is simply given again; with nothing to answer on the screen it sends /start). An
answer counts as *acknowledged* once the screen shows it was taken: its question edited to show the
answer, or a later question (or the result) asked. A killer SIGKILLs ``matang run`` at random
moments (seeded), restarts it, 50 times; then everyone finishes. The SQLite file must hold every
acknowledged answer exactly once with the acknowledged value, nothing a respondent did not give,
and one finished session per respondent.

    MATANG_TEST_SEED=7 python -m pytest -m slow tests/test_crash_concurrent.py -s

prints the figures (``-s`` shows them; they are in the assertion messages too).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from fakebotapi import FakeBotApiThread

from .telegram_helpers import TOKEN, rows
from .test_telegram_process import output, polling, start_bot, stop

SEED = int(os.environ.get("MATANG_TEST_SEED", "20250607"))
RESPONDENTS = 24  # interviewing at the same time, each in its own thread
KILLS = 50
REPLY_WAIT = (2.0, 4.0)  # seconds a person waits for a reply before looking again and acting again
THINK = (0.0, 0.4)  # seconds a person takes before the next action
FINISH_WAIT = 120.0  # seconds every interview has to finish once the kills are over

# What the small flow (tests/flows/small.yaml) shows, in Bahasa Indonesia.
ORDER = ("intro", "has_team", "team_size", "platforms", "ig_followers", "satisfaction", "example")
SHOWN = {"intro": "Selamat datang.", "has_team": "Apakah ada tim khusus?", "team_size": "Berapa orang anggota tim?",
         "platforms": "Platform apa saja?", "ig_followers": "Berapa pengikut Instagram?",
         "satisfaction": "Seberapa puas pimpinan?", "example": "Ceritakan satu contoh."}
PLATFORMS = {"Instagram": "instagram", "X": "x", "YouTube": "youtube"}
FOLLOWERS = {"Kurang dari 1.000": "small", "1.000 atau lebih": "big"}
AGREE, CONTINUE, DONE = "Ya, saya bersedia", "Lanjut", "Selesai"
FINISHED_ALREADY = "Wawancara Bapak/Ibu sudah selesai."
RESULT = "Tingkat kematangan:"
ANSWERED = re.compile(r"\n(✅|⏭) ")


@pytest.fixture
def api():
    with FakeBotApiThread(token=TOKEN) as server:
        yield server


# -- what a respondent sees -----------------------------------------------------------------------


def question_of(m: Any) -> str | None:
    """The question a bot message asks (or asked), by its text; None for any other message."""
    if m.kind != "text":
        return None
    text = m.text or ""
    for qid, shown in SHOWN.items():
        if (shown if qid == "intro" else f"<b>{shown}</b>") in text:
            return qid
    return None


def is_answered(m: Any, qid: str) -> bool:
    """Whether a question's message shows it taken: the answer (✅/⏭), or a note without buttons."""
    return not m.buttons if qid == "intro" else bool(ANSWERED.search(m.text or ""))


def is_result(m: Any) -> bool:
    return m.kind == "photo" or RESULT in (m.text or "")


def send_button(m: Any) -> str | None:
    """The label of the final check's "send the answers" button on a message, if it has one."""
    return next((b.text for row in m.buttons for b in row
                 if (b.data or "").startswith("k:") and (b.data or "").endswith(":s")), None)


@dataclass
class Screen:
    """The state a person reads off the chat: ``kind`` is "result", "finished" (the bot says the
    interview is over), "question" (open), "answered" (the newest question shows its answer and no
    later one came yet), "check" (every question answered: the answers wait to be sent), "consent"
    or "empty"."""

    kind: str
    qid: str | None = None
    message: Any = None

    @property
    def position(self) -> int:
        """How far the interview visibly got (an index into ORDER; past the end when it is over)."""
        if self.kind in ("result", "finished", "check"):
            return len(ORDER)
        if self.qid is None:
            return -1
        return ORDER.index(self.qid) + (self.kind == "answered")


def look(messages: list[Any]) -> Screen:
    """Read the newest message that says where the interview stands (a person who got their
    result is done, whatever the bot said after it)."""
    if any(is_result(m) for m in messages):
        return Screen("result")
    for m in reversed(messages):
        if FINISHED_ALREADY in (m.text or ""):
            return Screen("finished")
        qid = question_of(m)
        if qid is not None:
            return Screen("answered" if is_answered(m, qid) else "question", qid, m)
        if any(b.text == AGREE for row in m.buttons for b in row):
            return Screen("consent", message=m)
        if send_button(m) is not None:
            return Screen("check", message=m)
        # Anything else (the welcome, an apology, an explanation) says nothing about where we are.
    return Screen("empty")


# -- a respondent ---------------------------------------------------------------------------------


@dataclass
class Plan:
    """What one respondent answers; the values differ between respondents so mix-ups show."""

    team_size: int
    platforms: list[str]  # labels, Instagram always (so the follower question is asked)
    followers: str
    satisfaction: int
    example: str

    @classmethod
    def draw(cls, rng: random.Random, uid: int) -> Plan:
        extra = rng.sample(["X", "YouTube"], rng.randint(0, 2))
        # Team sizes 1-4 are also the numbers of the platform choices: a repeated "3" typed for the
        # team size must not turn into an answer to the platform question.
        return cls(team_size=rng.choice([rng.randint(1, 4), rng.randint(5, 200)]),
                   platforms=["Instagram", *extra], followers=rng.choice(list(FOLLOWERS)),
                   satisfaction=rng.randint(1, 5), example=f"Kami membalas komentar, kata responden {uid}.")

    def stored(self) -> dict[str, Any]:
        """The answers as the database must hold them (decoded JSON)."""
        order = list(PLATFORMS)
        return {"has_team": "yes", "team_size": self.team_size,
                "platforms": [PLATFORMS[p] for p in sorted(self.platforms, key=order.index)],
                "ig_followers": FOLLOWERS[self.followers], "satisfaction": self.satisfaction,
                "example": self.example}


@dataclass
class Interview:
    uid: int
    plan: Plan
    acknowledged: dict[str, Any] = field(default_factory=dict)
    actions: int = 0
    resends: int = 0  # actions repeated because no reply came in time
    finished: bool = False
    trail: list[str] = field(default_factory=list)  # what the person saw and did, for a failure

    def note(self, screen: Screen, did: str, replied: bool) -> None:
        self.trail = [*self.trail[-15:], f"{time.strftime('%H:%M:%S')} {screen.kind} {screen.qid or ''}: {did}"
                      f"{'' if replied else ' (no reply)'}"]


class Respondent(threading.Thread):
    """One person at a phone, interviewing with one Telegram account after another until told to
    stop starting new interviews; every interview is recorded in ``interviews``."""

    def __init__(self, api: Any, index: int, seed: int, stop_new: threading.Event, deadline: list[float]) -> None:
        super().__init__(name=f"respondent-{index}", daemon=True)
        self.api, self.index, self.stop_new, self.deadline = api, index, stop_new, deadline
        self.rng = random.Random(f"{seed}-{index}")
        self.interviews: list[Interview] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop_new.is_set():
                uid = 700_000 + self.index * 1000 + len(self.interviews)
                interview = Interview(uid, Plan.draw(self.rng, uid))
                self.interviews.append(interview)
                self.interview(interview)
        except BaseException as exc:  # reported by the test
            self.error = exc

    def interview(self, iv: Interview) -> None:
        user = self.api.user(iv.uid)
        plan = iv.plan
        pending: tuple[str, Any] | None = None  # the answer given and not acknowledged yet
        waited = False  # the last look found the bot still owing the next question
        while True:
            if time.monotonic() > self.deadline[0]:
                raise TimeoutError(f"interview of {iv.uid} not finished: {user.messages[-4:]}; {iv}; "
                                   f"seen and done: {iv.trail}")
            screen = look(user.messages)
            if pending is not None and (screen.position > ORDER.index(pending[0])):
                iv.acknowledged[pending[0]] = pending[1]
                pending = None
            if screen.kind == "result":
                iv.finished = True
                return
            mark = len(user.events)
            if screen.kind == "answered" and not waited:
                # The answer is shown; the next question is on its way (or died with the bot).
                waited = True
                self.reply(user, mark, lambda e: e.kind == "sent")
                continue
            waited = False
            time.sleep(self.rng.uniform(*THINK))
            iv.actions += 1
            try:
                if screen.kind in ("empty", "answered"):  # nothing to answer: ask the bot where we are
                    did = "/start"
                    user.send(did)
                    got = self.reply(user, mark, lambda e: e.kind == "sent")
                elif screen.kind == "finished":
                    did = "/result"
                    user.send(did)
                    got = self.reply(user, mark, lambda e: e.kind == "sent" and is_result(e.message))
                elif screen.kind == "check":  # every answer is in: send them as they are
                    did = send_button(screen.message) or ""
                    user.press_button(did, screen.message)
                    got = self.reply(user, mark, lambda e: e.kind == "sent" and is_result(e.message))
                elif screen.kind == "consent":
                    did = AGREE
                    user.press_button(AGREE, screen.message)
                    got = self.reply(user, mark, lambda e: e.kind == "sent" and question_of(e.message) is not None)
                else:
                    assert screen.qid is not None
                    did, got, pending = self.answer(user, mark, screen, plan, pending)
            except LookupError as exc:  # the button went away while we looked: look again
                iv.note(screen, f"no such button ({exc})"[:120], True)
                continue
            iv.note(screen, did, got)
            if not got:
                iv.resends += 1

    def answer(self, user: Any, mark: int, screen: Screen, plan: Plan,
               pending: tuple[str, Any] | None) -> tuple[str, bool, tuple[str, Any] | None]:
        """Answer the question on the screen (or tick one platform): what was done, whether a reply
        came, and the answer now waiting for its acknowledgement."""
        qid, m = screen.qid, screen.message
        assert qid is not None
        stored = plan.stored()
        if qid == "platforms":
            ticked = {b.text[2:] for row in m.buttons for b in row if b.text.startswith("✓ ")}
            wrong = sorted(ticked ^ set(plan.platforms))
            if wrong:  # tick (or untick) one option, and wait for the keyboard to change
                label = ("✓ " + wrong[0]) if wrong[0] in ticked else wrong[0]
                user.press_button(label, m)
                return label, self.reply(user, mark, lambda e: e.message.message_id == m.message_id
                                         or question_of(e.message) not in (None, "platforms")), pending
            did = DONE
        elif qid == "intro":
            did = CONTINUE
        elif qid == "has_team":
            did = "Ya"
        elif qid == "ig_followers":
            did = plan.followers
        elif qid == "satisfaction":
            did = str(plan.satisfaction)
        else:
            did = str(plan.team_size) if qid == "team_size" else plan.example
        if qid in ("team_size", "example"):
            self.type(user.id, qid, did)
        else:
            user.press_button(did, m)
        if qid != "intro":
            pending = (qid, stored[qid])
        position = ORDER.index(qid)

        def taken(e: Any) -> bool:
            shown = e.message
            if e.kind == "edited" and shown.message_id == m.message_id:
                return is_answered(shown, qid)
            if e.kind != "sent":
                return False
            later = question_of(shown)
            return is_result(shown) or FINISHED_ALREADY in (shown.text or "") or (
                later is not None and ORDER.index(later) > position)

        return did, self.reply(user, mark, taken), pending

    def type(self, uid: int, qid: str, text: str) -> None:
        """Send ``text`` if the question ``qid`` is still the one on the screen as it goes out
        (LookupError otherwise). Checked on the server's loop, where the bot's messages arrive, so
        nothing can come in between: a number typed just as the next question arrives is, for the
        bot too, an answer to that question ("3" would be the third platform)."""

        async def send() -> bool:
            user = self.api.server.user(uid)
            screen = look(user.messages)
            if (screen.kind, screen.qid) != ("question", qid):
                return False
            await user.send(text)
            return True

        if not asyncio.run_coroutine_threadsafe(send(), self.api.loop).result(10):
            raise LookupError(f"{qid} is no longer on the screen")

    def reply(self, user: Any, mark: int, predicate: Any) -> bool:
        """Wait (a person's patience) for a reply since event ``mark``; False when none came."""
        user.cursor = mark
        try:
            user.next_event(predicate, timeout=self.rng.uniform(*REPLY_WAIT))
        except TimeoutError:
            return False
        return True


# -- the run --------------------------------------------------------------------------------------


def redelivered(api: Any) -> int:
    """Updates the server handed to the bot more than once (it died before confirming them)."""
    seen: dict[int, int] = {}
    for call in api.calls_for("getUpdates"):
        if call.status == 200 and isinstance(call.result, list):
            for update in call.result:
                seen[update["update_id"]] = seen.get(update["update_id"], 0) + 1
    return sum(n - 1 for n in seen.values() if n > 1)


@pytest.mark.slow
def test_concurrent_interviews_survive_fifty_kills(api, tmp_path):
    started = time.monotonic()
    rng = random.Random(SEED)
    print(f"\nMATANG_TEST_SEED={SEED}")
    db = tmp_path / "matang.db"
    stop_new = threading.Event()
    deadline = [time.monotonic() + 3600.0]
    people = [Respondent(api, i, SEED, stop_new, deadline) for i in range(RESPONDENTS)]
    bots: list[Any] = []
    kills = busy_kills = 0
    bot = None
    try:
        for person in people:
            person.start()
        while kills < KILLS:
            calls = len(api.calls_for("getUpdates"))
            bot = start_bot(api, db, tmp_path)
            bots.append(bot)
            if rng.random() < 0.2:  # during start-up (the pending questions are being asked again)
                time.sleep(rng.uniform(0.0, 1.0))
            else:  # while it polls and answers
                polling(api, calls)
                time.sleep(rng.uniform(0.05, 2.5))
            busy_kills += api.busy() is not None
            bot.kill()
            bot.wait(10)
            kills += 1
            broken = [p for p in people if p.error is not None]
            assert not broken, f"{broken[0].name}: {broken[0].error!r}"
        stop_new.set()
        deadline[0] = time.monotonic() + FINISH_WAIT
        bot = start_bot(api, db, tmp_path)
        bots.append(bot)
        for person in people:
            person.join(max(1.0, deadline[0] + 10 - time.monotonic()))
        api.wait_idle(timeout=20)
        assert stop(bot) == 0, output(bot)[-3000:]
    finally:
        stop_new.set()
        deadline[0] = 0.0
        if bot is not None:
            stop(bot, signal.SIGKILL)
    wall = time.monotonic() - started

    interviews = [iv for p in people for iv in p.interviews]
    stored = {(int(uid), q): json.loads(v) for uid, q, v in rows(
        db, "select r.external_id, a.question_id, a.value from answers a join sessions s on s.id = a.session_id"
            " join respondents r on r.id = s.respondent_id")}
    acknowledged = {(iv.uid, q): v for iv in interviews for q, v in iv.acknowledged.items()}
    lost = {k: v for k, v in acknowledged.items() if stored.get(k) != v}
    answer_events = rows(db, "select session_id, question_id, count(*) from events where kind = 'answer'"
                             " group by session_id, question_id")
    duplicates = sum(n - 1 for _, _, n in answer_events) + rows(
        db, "select count(*) from events where kind in ('change', 'skip')")[0][0]
    logs = "".join(output(b) for b in bots)

    def restarted(pattern: str) -> int:
        return sum(int(n) for n in re.findall(pattern, logs))

    figures = {
        "seed": SEED, "respondents at once": RESPONDENTS, "interviews": len(interviews),
        "finished": sum(iv.finished for iv in interviews), "kills": kills,
        "kills with requests or updates in flight": busy_kills,
        "answers acknowledged": len(acknowledged),
        "answers stored": rows(db, "select count(*) from answers")[0][0], "duplicates": duplicates,
        "lost": len(lost), "updates handed out again": redelivered(api),
        "updates the bot recognised as applied": logs.count("was already applied"),
        "questions asked again at start-up": restarted(r"sent (\d+) pending question"),
        "results sent again at start-up": restarted(r"sent (\d+) pending result"),
        "texts ignored as typed before their question": logs.count("sent before the current question"),
        "actions repeated after no reply": sum(iv.resends for iv in interviews),
        "actions": sum(iv.actions for iv in interviews), "wall time s": round(wall, 1),
    }
    print("figures: " + json.dumps(figures, ensure_ascii=False))
    say = f"figures {figures}"

    broken = [p for p in people if p.error is not None or p.is_alive()]
    assert not broken, f"{broken[0].name}: {broken[0].error!r}; {say}"
    assert kills >= KILLS, say
    assert all(iv.finished for iv in interviews), say
    assert not lost, f"acknowledged answers lost or changed: {dict(list(lost.items())[:5])}; {say}"
    # Exactly one session per respondent, finished, holding exactly what the respondent gave.
    sessions = rows(db, "select r.external_id, s.state from sessions s join respondents r on r.id = s.respondent_id")
    assert sorted((int(uid), state) for uid, state in sessions) == sorted(
        (iv.uid, "finished") for iv in interviews), say
    for iv in interviews:
        got = {q: v for (uid, q), v in stored.items() if uid == iv.uid}
        assert got == iv.plan.stored(), f"respondent {iv.uid}: stored {got}, gave {iv.plan.stored()}; {say}"
        assert set(iv.acknowledged) == set(got), f"respondent {iv.uid}: acknowledged {iv.acknowledged}; {say}"
    assert len(answer_events) == len(stored) and duplicates == 0, say
    assert rows(db, "select count(*) from answers where times_changed != 0") == [(0,)], say
    assert "Traceback" not in logs, logs[max(0, logs.find("Traceback") - 2000):][:6000]


def test_a_person_reads_the_screen_as_the_chat_shows_it():
    """The screen reading the crash run relies on, on messages as the bot sends them."""
    from fakebotapi.records import BotMessage

    def msg(text: str, buttons: tuple[str, ...] = (), kind: str = "text") -> BotMessage:
        markup = {"inline_keyboard": [[{"text": b, "callback_data": "x"}] for b in buttons]} if buttons else None
        return BotMessage(chat={"id": 1}, sender={}, message_id=1, kind=kind, text=text, reply_markup=markup)

    asked = msg("<i>2/6 · Bagian A</i>\n\n<b>Apakah ada tim khusus?</b>", ("Ya", "Tidak"))
    taken = msg("<i>Bagian A</i>\n\n<b>Apakah ada tim khusus?</b>\n✅ Ya")
    intro = msg("<i>Bagian A</i>\n\nSelamat datang.", (CONTINUE,))
    consent = msg("<b>Matang — Uji kecil</b>", (AGREE, "Tidak"))
    assert look([]) == Screen("empty")
    assert look([consent]).kind == "consent"
    assert look([consent, msg("Terima kasih atas kesediaan")]).kind == "consent"
    assert (look([intro]).kind, look([intro]).qid) == ("question", "intro")
    assert look([intro, asked]).position == 1 and look([intro, asked]).kind == "question"
    assert look([asked, taken]).kind == "answered" and look([asked, taken]).position == 2
    assert look([taken, msg("Tingkat kematangan: 2 dari 5")]).kind == "result"
    assert look([msg(FINISHED_ALREADY + " Ketik /result")]).position == len(ORDER)
