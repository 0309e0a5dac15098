"""The tutor against the real database: where a question lands, the typed-prompt quota under
concurrency, conversation threads, curated suggestions, and the ask use case end to end
with a stand-in language model."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest

from bot.ai.local_embeddings import LocalHashEmbedder
from domain.errors import Reason
from domain.personas import Persona
from domain.tutor import (
    Answer,
    AskContext,
    Completion,
    ModelUnavailable,
    OnText,
    Passage,
    QuotaExhausted,
    Turn,
    TutorService,
)
from storage.chunks import PgChunkStore
from storage.learning import PgLearningStore
from storage.tutor import PgTutorStore
from tests.conftest import BOT_ID
from tests.support.courses import TINY_PACK, editable_copy, import_pack

QUOTA = 5  # tests/data/packs/tiny/course.yaml: typed_prompt_quota
CHAT = 9001

UNLOCKED_AT = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


class StandInModel:
    """A language model at the process boundary: replies with a fixed text citing [1],
    remembers every prompt it was sent, or fails the way a real one can."""

    def __init__(self, reply: str = "Tea comes from Camellia sinensis [1].") -> None:
        self.reply = reply
        self.failure: ModelUnavailable | None = None
        self.prompts: list[list[dict[str, str]]] = []

    @property
    def model(self) -> str:
        return "stand-in-1"

    async def complete(self, messages: list[dict[str, str]], on_text: OnText) -> Completion:
        self.prompts.append(messages)
        if self.failure is not None:
            raise self.failure
        await on_text(self.reply[: len(self.reply) // 2])
        await on_text(self.reply)
        return Completion(self.reply, tokens=17, model=self.model)


@dataclass
class Streamed:
    texts: list[str] = field(default_factory=list)

    async def __call__(self, text: str) -> None:
        self.texts.append(text)


@dataclass
class Tiny:
    """The tiny tea course imported, with the tutor's store and the learning store."""

    pool: asyncpg.Pool
    course_id: UUID
    store: PgTutorStore
    learning: PgLearningStore

    async def learner(self, user_id: int, *courses: UUID) -> None:
        await self.pool.execute(
            "INSERT INTO users (id, first_name) VALUES ($1, $2)", user_id, f"Learner {user_id}"
        )
        for course_id in courses or (self.course_id,):
            await self.learning.ensure_enrollment(user_id, course_id)

    async def topic_id(self, module_no: int, number: int, course_id: UUID | None = None) -> UUID:
        return await self.pool.fetchval(
            "SELECT id FROM topics WHERE course_id = $1 AND module_no = $2 AND topic_number = $3",
            course_id or self.course_id,
            module_no,
            number,
        )

    async def context(self, user_id: int, chat_id: int = CHAT) -> AskContext:
        context = await self.store.ask_context(user_id, chat_id)
        assert context is not None
        return context

    async def typed_count(self, user_id: int, module_no: int = 1) -> int | None:
        return await self.pool.fetchval(
            "SELECT typed_count FROM module_prompt_usage "
            "WHERE user_id = $1 AND course_id = $2 AND module_no = $3",
            user_id,
            self.course_id,
            module_no,
        )

    async def grant(self, user_id: int, extra: int, module_no: int = 1) -> None:
        await self.pool.execute(
            """
            INSERT INTO module_prompt_usage (user_id, course_id, module_no, granted)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (user_id, course_id, module_no) DO UPDATE SET granted = EXCLUDED.granted
            """,
            user_id,
            self.course_id,
            module_no,
            extra,
        )

    async def suggestion_id(self, key: str) -> UUID:
        return await self.pool.fetchval(
            "SELECT id FROM topic_prompt_suggestions WHERE course_id = $1 AND key = $2",
            self.course_id,
            key,
        )

    def service(self, model: StandInModel | None) -> TutorService:
        return TutorService(self.store, PgChunkStore(self.pool), LocalHashEmbedder(), model)


@pytest.fixture
async def tiny(pool: asyncpg.Pool) -> Tiny:
    await import_pack(pool, TINY_PACK)
    course_id = await pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny'")
    return Tiny(pool, course_id, PgTutorStore(pool, bot_id=BOT_ID), PgLearningStore(pool))


@pytest.fixture
async def other_course(tiny: Tiny, tmp_path: Path) -> UUID:
    """A second published course, the tiny pack under another slug and name."""
    pack = editable_copy(TINY_PACK, tmp_path)
    course_yaml = pack / "course.yaml"
    course_yaml.write_text(
        course_yaml.read_text()
        .replace("slug: tiny", "slug: tiny-two")
        .replace("name: Tea basics", "name: More tea")
    )
    await import_pack(tiny.pool, pack)
    return await tiny.pool.fetchval("SELECT id FROM courses WHERE slug = 'tiny-two'")


def answer_for(context: AskContext, question: str, text: str) -> Answer:
    passage = Passage(1, "1.1 The tea plant", 1, 1, "All true tea comes from one plant.")
    return Answer(
        context.course_id,
        context.module_no,
        question,
        text,
        (passage,),
        (passage,),
        extractive=False,
        model="stand-in-1",
        tokens=9,
    )


# -- where a question lands ------------------------------------------------------------------


async def test_a_learner_without_an_enrollment_has_nowhere_to_ask(tiny: Tiny) -> None:
    await tiny.pool.execute("INSERT INTO users (id, first_name) VALUES (42, 'Ada')")

    assert await tiny.store.ask_context(42, CHAT) is None
    assert await tiny.store.context_for_course(42, tiny.course_id, None) is None


async def test_the_only_enrolled_course_is_chosen_when_the_chat_has_no_state(tiny: Tiny) -> None:
    await tiny.learner(42)

    context = await tiny.context(42)

    assert (context.course_id, context.course_slug, context.course_name) == (
        tiny.course_id,
        "tiny",
        "Tea basics",
    )
    assert (context.module_no, context.module_title, context.max_module) == (1, "Kinds of tea", 1)
    assert context.persona is Persona.NORMAL
    assert (context.quota, context.used, context.remaining) == (QUOTA, 0, QUOTA)
    assert context.topic is None
    assert context.topic_titles == {
        (1, 1): "The tea plant",
        (1, 2): "Green, oolong and black tea",
        (2, 1): "Water temperature",
        (2, 2): "Steeping time",
    }


async def test_the_learners_persona_comes_with_the_context(tiny: Tiny) -> None:
    await tiny.learner(42)
    await tiny.learning.choose_persona(42, tiny.course_id, Persona.SPORTS)

    assert (await tiny.context(42)).persona is Persona.SPORTS


async def test_two_enrollments_and_no_chat_state_leave_the_course_open(
    tiny: Tiny, other_course: UUID
) -> None:
    await tiny.learner(42, tiny.course_id, other_course)

    assert await tiny.store.ask_context(42, CHAT) is None


async def test_the_chats_course_and_topic_win_over_other_enrollments(
    tiny: Tiny, other_course: UUID
) -> None:
    await tiny.learner(42, tiny.course_id, other_course)
    await tiny.learning.unlock_module(42, other_course, 2, UNLOCKED_AT)
    await tiny.learning.record_visit(42, await tiny.topic_id(2, 1, other_course), CHAT, 0)

    context = await tiny.context(42)

    assert (context.course_id, context.course_name) == (other_course, "More tea")
    assert (context.module_no, context.module_title) == (2, "Brewing")
    assert context.topic == (2, 1)
    assert await tiny.store.ask_context(42, CHAT + 1) is None, "another chat has no state"


async def test_a_topic_in_an_earlier_module_charges_that_module(tiny: Tiny) -> None:
    await tiny.learner(42)
    await tiny.learning.unlock_module(42, tiny.course_id, 2, UNLOCKED_AT)
    await tiny.learning.record_visit(42, await tiny.topic_id(1, 2), CHAT, 3)

    context = await tiny.context(42)

    assert (context.module_no, context.max_module, context.topic) == (1, 2, (1, 2))


async def test_the_highest_unlocked_module_is_the_limit_and_the_default(tiny: Tiny) -> None:
    await tiny.learner(42)
    before = await tiny.context(42)

    assert await tiny.learning.unlock_module(42, tiny.course_id, 2, UNLOCKED_AT)
    after = await tiny.context(42)

    assert (before.max_module, before.module_no) == (1, 1)
    assert (after.max_module, after.module_no, after.module_title) == (2, 2, "Brewing")


async def test_a_suspended_enrollment_gives_no_context_even_from_the_chats_state(
    tiny: Tiny,
) -> None:
    await tiny.learner(42)
    await tiny.learning.record_visit(42, await tiny.topic_id(1, 1), CHAT, 0)
    await tiny.pool.execute("UPDATE enrollments SET status = 'suspended' WHERE user_id = 42")

    assert await tiny.store.ask_context(42, CHAT) is None
    assert await tiny.store.context_for_course(42, tiny.course_id, 1) is None


async def test_a_suspended_chat_course_falls_back_to_the_only_other_enrollment(
    tiny: Tiny, other_course: UUID
) -> None:
    await tiny.learner(42, tiny.course_id, other_course)
    await tiny.learning.record_visit(42, await tiny.topic_id(1, 1), CHAT, 0)
    await tiny.pool.execute(
        "UPDATE enrollments SET status = 'suspended' WHERE user_id = 42 AND course_id = $1",
        tiny.course_id,
    )

    context = await tiny.context(42)

    assert (context.course_id, context.topic) == (other_course, None)


async def test_the_quota_is_the_courses_allowance_plus_what_an_admin_granted(
    tiny: Tiny,
) -> None:
    await tiny.learner(42)
    await tiny.learning.unlock_module(42, tiny.course_id, 2, UNLOCKED_AT)
    await tiny.pool.execute(
        "INSERT INTO module_prompt_usage (user_id, course_id, module_no, typed_count, granted) "
        "VALUES (42, $1, 1, 3, 2)",
        tiny.course_id,
    )

    module_1 = await tiny.store.context_for_course(42, tiny.course_id, 1)
    module_2 = await tiny.store.context_for_course(42, tiny.course_id, 2)

    assert module_1 is not None and module_2 is not None
    assert (module_1.quota, module_1.used, module_1.remaining) == (QUOTA + 2, 3, 4)
    assert (module_2.quota, module_2.used) == (QUOTA, 0), "a grant is for its own module only"

    await tiny.pool.execute("UPDATE module_prompt_usage SET granted = 0, typed_count = 9")
    spent = await tiny.store.context_for_course(42, tiny.course_id, 1)
    assert spent is not None and (spent.quota, spent.remaining) == (QUOTA, 0)


# -- the typed-prompt quota ------------------------------------------------------------------


async def test_twenty_concurrent_reserves_take_exactly_the_quota(tiny: Tiny) -> None:
    await tiny.learner(42)
    context = await tiny.context(42)

    taken = await asyncio.gather(*(tiny.store.reserve_prompt(context) for _ in range(20)))

    assert sorted(t for t in taken if t is not None) == [1, 2, 3, 4, 5]
    assert await tiny.typed_count(42) == QUOTA

    await tiny.grant(42, 2)
    more = [await tiny.store.reserve_prompt(context) for _ in range(4)]

    assert more == [6, 7, None, None]
    assert await tiny.typed_count(42) == QUOTA + 2


async def test_a_refund_gives_one_back_and_never_goes_below_zero(tiny: Tiny) -> None:
    await tiny.learner(42)
    context = await tiny.context(42)

    await tiny.store.refund_prompt(context)
    assert await tiny.typed_count(42) is None, "nothing to refund, nothing written"

    assert await tiny.store.reserve_prompt(context) == 1
    assert await tiny.store.reserve_prompt(context) == 2
    await tiny.store.refund_prompt(context)
    assert await tiny.typed_count(42) == 1
    for _ in range(3):
        await tiny.store.refund_prompt(context)
    assert await tiny.typed_count(42) == 0


async def test_a_course_without_typed_questions_reserves_none(tiny: Tiny) -> None:
    await tiny.learner(42)
    await tiny.pool.execute("UPDATE courses SET typed_prompt_quota = 0")
    context = await tiny.context(42)

    assert context.remaining == 0
    assert await tiny.store.reserve_prompt(context) is None
    assert await tiny.typed_count(42) is None


async def test_an_admin_grant_is_usable_on_a_course_without_typed_questions(tiny: Tiny) -> None:
    await tiny.learner(42)
    await tiny.pool.execute("UPDATE courses SET typed_prompt_quota = 0")
    await tiny.grant(42, 2)
    context = await tiny.context(42)

    assert (context.quota, context.remaining) == (2, 2)
    assert await tiny.store.reserve_prompt(context) == 1


async def test_reserves_in_one_module_leave_another_modules_quota_alone(tiny: Tiny) -> None:
    await tiny.learner(42)
    await tiny.learning.unlock_module(42, tiny.course_id, 2, UNLOCKED_AT)
    module_1 = await tiny.store.context_for_course(42, tiny.course_id, 1)
    assert module_1 is not None
    for _ in range(QUOTA):
        await tiny.store.reserve_prompt(module_1)

    module_2 = await tiny.context(42)

    assert module_2.module_no == 2 and module_2.remaining == QUOTA
    assert await tiny.store.reserve_prompt(module_1) is None
    assert await tiny.store.reserve_prompt(module_2) == 1


# -- asking ----------------------------------------------------------------------------------


async def test_an_answered_question_uses_one_prompt_and_is_recorded_in_the_thread(
    tiny: Tiny,
) -> None:
    await tiny.learner(42)
    model = StandInModel()
    streamed = Streamed()
    context = await tiny.context(42)

    answer = await tiny.service(model).ask(context, "Where does tea come from?", streamed)

    assert answer.text == model.reply
    assert (answer.model, answer.tokens, answer.extractive) == ("stand-in-1", 17, False)
    assert answer.remaining == QUOTA - 1 and not answer.shortened
    assert answer.passages and answer.cited == answer.passages[:1]
    assert streamed.texts[-1] == model.reply
    assert (await tiny.context(42)).used == 1
    messages = await tiny.pool.fetch(
        "SELECT m.* FROM ai_mentor_thread_messages m JOIN ai_mentor_threads t "
        "ON t.id = m.thread_id WHERE t.user_id = 42 AND t.module_no = 1 ORDER BY m.id"
    )
    assert [(m["role"], m["content"], m["typed"]) for m in messages] == [
        ("learner", "Where does tea come from?", True),
        ("tutor", model.reply, True),
    ]
    assert (messages[1]["model"], messages[1]["tokens_used"]) == ("stand-in-1", 17)
    assert [c["n"] for c in messages[1]["citations"]] == [1]


async def test_a_model_failure_costs_no_prompt_and_records_nothing(tiny: Tiny) -> None:
    await tiny.learner(42)
    model = StandInModel()
    model.failure = ModelUnavailable("timeout")
    context = await tiny.context(42)

    with pytest.raises(ModelUnavailable) as failed:
        await tiny.service(model).ask(context, "Where does tea come from?", Streamed())

    assert failed.value.kind == "timeout"
    assert len(model.prompts) == 1, "the model was asked"
    assert (await tiny.context(42)).used == 0
    assert await tiny.pool.fetchval("SELECT count(*) FROM ai_mentor_thread_messages") == 0
    assert await tiny.pool.fetchval("SELECT count(*) FROM ai_mentor_threads") == 0


async def test_an_exhausted_quota_refuses_before_the_model_is_asked(tiny: Tiny) -> None:
    await tiny.learner(42)
    model = StandInModel()
    service = tiny.service(model)
    for n in range(QUOTA):
        await service.ask(await tiny.context(42), f"Question {n}?", Streamed())

    stale = await tiny.store.context_for_course(42, tiny.course_id, None)
    assert stale is not None and stale.remaining == 0
    with pytest.raises(QuotaExhausted) as refused:
        await service.ask(stale, "One more?", Streamed())
    fresh_looking = replace(stale, used=0)  # a context read before the others answered
    with pytest.raises(QuotaExhausted):
        await service.ask(fresh_looking, "And another?", Streamed())

    assert refused.value.context == stale
    assert refused.value.reason is Reason.QUOTA_EXHAUSTED
    assert (refused.value.context.quota, refused.value.context.module_no) == (QUOTA, 1)
    assert len(model.prompts) == QUOTA
    assert await tiny.typed_count(42) == QUOTA


async def test_the_model_never_sees_passages_from_locked_modules(tiny: Tiny) -> None:
    await tiny.learner(42)
    model = StandInModel()
    question = "How hot should the water be for green tea?"

    locked = await tiny.service(model).ask(await tiny.context(42), question, Streamed())
    await tiny.learning.unlock_module(42, tiny.course_id, 2, UNLOCKED_AT)
    unlocked = await tiny.service(model).ask(await tiny.context(42), question, Streamed())

    assert locked.passages
    assert all(p.module_no in (1, None) for p in locked.passages)
    assert "Water temperature" not in model.prompts[0][-1]["content"]
    assert any(p.module_no == 2 for p in unlocked.passages)
    assert "2.1 Water temperature" in model.prompts[1][-1]["content"]


async def test_the_model_hears_the_earlier_turns_of_the_open_thread(tiny: Tiny) -> None:
    await tiny.learner(42)
    model = StandInModel()
    service = tiny.service(model)

    await service.ask(await tiny.context(42), "What is oolong?", Streamed())
    await service.ask(await tiny.context(42), "And black tea?", Streamed())
    await service.new_thread(42, CHAT)
    await service.ask(await tiny.context(42), "Fresh start?", Streamed())

    assert [m["role"] for m in model.prompts[0]] == ["system", "user"]
    assert [(m["role"], m["content"]) for m in model.prompts[1][1:-1]] == [
        ("user", "What is oolong?"),
        ("assistant", model.reply),
    ]
    assert [m["role"] for m in model.prompts[2]] == ["system", "user"]


async def test_without_a_model_the_answer_quotes_the_course_and_still_uses_a_prompt(
    tiny: Tiny,
) -> None:
    await tiny.learner(42)

    answer = await tiny.service(None).ask(
        await tiny.context(42), "Where does tea come from?", Streamed()
    )

    assert answer.extractive and answer.model is None
    assert answer.text.startswith("*Quoted from the course material*")
    assert answer.cited and answer.cited == answer.passages[: len(answer.cited)]
    assert (await tiny.context(42)).used == 1


async def test_a_long_question_is_answered_shortened_and_recorded_shortened(
    tiny: Tiny,
) -> None:
    await tiny.learner(42)
    model = StandInModel()

    answer = await tiny.service(model).ask(
        await tiny.context(42), "tea " * 400 + "\x00?", Streamed()
    )

    assert answer.shortened and answer.question.endswith(" …")
    assert len(answer.question) <= 1_000 + len(" …")
    recorded = await tiny.pool.fetchval(
        "SELECT content FROM ai_mentor_thread_messages WHERE role = 'learner'"
    )
    assert recorded == answer.question


# -- conversation threads --------------------------------------------------------------------


async def test_recent_turns_are_the_last_pairs_of_the_open_thread_in_order(tiny: Tiny) -> None:
    await tiny.learner(42)
    context = await tiny.context(42)
    for n in range(1, 6):
        await tiny.store.record_exchange(
            context, answer_for(context, f"Q{n}?", f"A{n}."), typed=True
        )

    assert await tiny.store.recent_turns(context, 3) == [
        Turn("Q3?", "A3."),
        Turn("Q4?", "A4."),
        Turn("Q5?", "A5."),
    ]
    assert len(await tiny.store.recent_turns(context, 10)) == 5
    assert await tiny.pool.fetchval("SELECT count(*) FROM ai_mentor_threads") == 1

    await tiny.store.new_thread(context)
    assert await tiny.store.recent_turns(context, 3) == []

    await tiny.store.record_exchange(context, answer_for(context, "Q6?", "A6."), typed=False)
    assert await tiny.store.recent_turns(context, 3) == [Turn("Q6?", "A6.")]
    assert (
        await tiny.pool.fetchval("SELECT count(*) FROM ai_mentor_threads WHERE closed_at IS NULL")
        == 1
    )


async def test_another_learners_turns_never_appear(tiny: Tiny) -> None:
    await tiny.learner(42)
    await tiny.learner(43)
    ada, bob = await tiny.context(42), await tiny.context(43, CHAT + 1)
    await tiny.store.record_exchange(ada, answer_for(ada, "Ada asks?", "For Ada."), typed=True)
    await tiny.store.record_exchange(bob, answer_for(bob, "Bob asks?", "For Bob."), typed=True)
    await tiny.store.record_exchange(ada, answer_for(ada, "Ada again?", "Again."), typed=True)

    assert await tiny.store.recent_turns(ada, 5) == [
        Turn("Ada asks?", "For Ada."),
        Turn("Ada again?", "Again."),
    ]
    assert await tiny.store.recent_turns(bob, 5) == [Turn("Bob asks?", "For Bob.")]
    await tiny.store.new_thread(bob)
    assert len(await tiny.store.recent_turns(ada, 5)) == 2, "closing Bob's thread leaves Ada's"


async def test_turns_belong_to_their_module(tiny: Tiny) -> None:
    await tiny.learner(42)
    await tiny.learning.unlock_module(42, tiny.course_id, 2, UNLOCKED_AT)
    module_1 = await tiny.store.context_for_course(42, tiny.course_id, 1)
    module_2 = await tiny.context(42)
    assert module_1 is not None
    await tiny.store.record_exchange(module_1, answer_for(module_1, "M1?", "One."), typed=True)

    assert await tiny.store.recent_turns(module_2, 3) == []
    assert await tiny.store.recent_turns(module_1, 3) == [Turn("M1?", "One.")]


# -- curated suggestions ---------------------------------------------------------------------


def prompts(suggestions: Sequence) -> list[str]:
    return [s.prompt for s in suggestions]


async def test_a_topic_offers_its_own_suggestions_first_then_course_wide_ones(
    tiny: Tiny,
) -> None:
    on_topic = await tiny.store.suggestions(tiny.course_id, topic=(1, 1), parent=None)
    elsewhere = await tiny.store.suggestions(tiny.course_id, topic=(1, 2), parent=None)
    anywhere = await tiny.store.suggestions(tiny.course_id, topic=None, parent=None)

    assert prompts(on_topic) == [
        "Is chamomile a real tea?",
        "Which tea should a beginner try first?",
    ]
    assert on_topic[0].answer is not None and "infusion" in on_topic[0].answer
    assert on_topic[0].topic_id == await tiny.topic_id(1, 1)
    assert on_topic[1].topic_id is None and on_topic[1].answer is None
    assert prompts(elsewhere) == prompts(anywhere) == ["Which tea should a beginner try first?"]


async def test_a_suggestions_follow_ups_are_listed_under_it(tiny: Tiny) -> None:
    parent = await tiny.suggestion_id("herbal-tea")

    follow_ups = await tiny.store.suggestions(tiny.course_id, topic=None, parent=parent)

    assert prompts(follow_ups) == ["Do herbal infusions contain caffeine?"]
    assert follow_ups[0].parent_id == parent
    assert (
        await tiny.store.suggestions(
            tiny.course_id, topic=None, parent=await tiny.suggestion_id("best-first-tea")
        )
        == []
    )


async def test_an_inactive_suggestion_is_hidden_everywhere(tiny: Tiny) -> None:
    parent = await tiny.suggestion_id("herbal-tea")
    child = await tiny.suggestion_id("herbal-tea-caffeine")
    course_wide = await tiny.suggestion_id("best-first-tea")
    await tiny.pool.execute(
        "UPDATE topic_prompt_suggestions SET is_active = false WHERE id = ANY($1::uuid[])",
        [child, course_wide],
    )

    assert prompts(await tiny.store.suggestions(tiny.course_id, topic=(1, 1), parent=None)) == [
        "Is chamomile a real tea?"
    ]
    assert await tiny.store.suggestions(tiny.course_id, topic=None, parent=parent) == []
    assert await tiny.store.suggestion(child) is None
    assert await tiny.store.suggestion(course_wide) is None
    assert (await tiny.store.suggestion(parent)) is not None


async def test_a_generated_answer_is_kept_once_and_never_replaces_an_authored_one(
    tiny: Tiny,
) -> None:
    await tiny.learner(42)
    context = await tiny.context(42)
    generated = await tiny.suggestion_id("best-first-tea")
    authored = await tiny.suggestion_id("herbal-tea")
    authored_text = (await tiny.store.suggestion(authored)).answer

    await tiny.store.cache_suggestion_answer(generated, answer_for(context, "?", "Green [1]."))
    await tiny.store.cache_suggestion_answer(generated, answer_for(context, "?", "Black [1]."))
    await tiny.store.cache_suggestion_answer(authored, answer_for(context, "?", "Generated."))

    assert (await tiny.store.suggestion(generated)).answer == "Green [1]."
    row = await tiny.pool.fetchrow(
        "SELECT generated_answer, generated_citations FROM topic_prompt_suggestions WHERE id = $1",
        generated,
    )
    assert row["generated_citations"] == [{"n": 1, "citation": "1.1 The tea plant"}]
    assert (await tiny.store.suggestion(authored)).answer == authored_text
    assert (
        await tiny.pool.fetchval(
            "SELECT generated_answer FROM topic_prompt_suggestions WHERE id = $1", authored
        )
        is None
    )


async def test_reimporting_keeps_a_generated_answer_until_the_prompt_changes(
    tiny: Tiny, tmp_path: Path
) -> None:
    await tiny.learner(42)
    context = await tiny.context(42)
    suggestion = await tiny.suggestion_id("best-first-tea")
    await tiny.store.cache_suggestion_answer(suggestion, answer_for(context, "?", "Green [1]."))
    pack = editable_copy(TINY_PACK, tmp_path)

    await import_pack(tiny.pool, pack)
    unchanged = await tiny.store.suggestion(suggestion)
    suggestions_yaml = pack / "suggestions.yaml"
    suggestions_yaml.write_text(
        suggestions_yaml.read_text().replace(
            "Which tea should a beginner try first?", "Which tea suits a first tasting?"
        )
    )
    await import_pack(tiny.pool, pack)
    reworded = await tiny.store.suggestion(suggestion)

    assert unchanged is not None and unchanged.answer == "Green [1]."
    assert reworded is not None
    assert (reworded.prompt, reworded.answer) == ("Which tea suits a first tasting?", None)
    assert (
        await tiny.pool.fetchval(
            "SELECT generated_citations FROM topic_prompt_suggestions WHERE id = $1", suggestion
        )
        is None
    )


async def test_a_suggestion_is_free_and_its_answer_is_generated_only_once(tiny: Tiny) -> None:
    await tiny.learner(42)
    model = StandInModel("Start with a green tea [1].")
    service = tiny.service(model)
    suggestion = await tiny.suggestion_id("best-first-tea")

    first = await service.ask_suggestion(42, suggestion, Streamed())
    second = await service.ask_suggestion(42, suggestion, Streamed())

    assert first.answer.text == second.answer.text == "Start with a green tea [1]."
    assert len(model.prompts) == 1, "the second learner-facing answer comes from the cache"
    assert [m["role"] for m in model.prompts[0]] == ["system", "user"]
    assert (await tiny.context(42)).used == 0
    assert (
        await tiny.pool.fetchval("SELECT count(*) FROM ai_mentor_thread_messages WHERE NOT typed")
        == 4
    )


async def test_an_authored_suggestion_answers_without_the_model_and_offers_follow_ups(
    tiny: Tiny,
) -> None:
    await tiny.learner(42)
    model = StandInModel()

    reply = await tiny.service(model).ask_suggestion(
        42, await tiny.suggestion_id("herbal-tea"), Streamed()
    )

    assert model.prompts == []
    assert "infusion" in reply.answer.text
    assert prompts(reply.follow_ups) == ["Do herbal infusions contain caffeine?"]


# -- the same update handled again (a replica died before marking it done) -------------------


async def test_a_question_handled_twice_for_one_update_uses_one_prompt_and_one_exchange(
    tiny: Tiny,
) -> None:
    await tiny.learner(42)
    model = StandInModel()
    tutor = tiny.service(model)

    first = await tutor.ask(await tiny.context(42), "Where?", Streamed(), request_id=7001)
    again = await tutor.ask(await tiny.context(42), "Where?", Streamed(), request_id=7001)

    assert await tiny.typed_count(42) == 1
    assert first.remaining == again.remaining == QUOTA - 1
    assert await tiny.pool.fetchval("SELECT count(*) FROM ai_mentor_thread_messages") == 2
    await tutor.ask(await tiny.context(42), "Where?", Streamed(), request_id=7002)
    assert await tiny.typed_count(42) == 2, "another update is another question"


async def test_the_last_prompt_used_by_this_update_is_still_its_own_when_handled_again(
    tiny: Tiny,
) -> None:
    await tiny.learner(42)
    await tiny.pool.execute(
        "INSERT INTO module_prompt_usage (user_id, course_id, module_no, typed_count) "
        "VALUES (42, $1, 1, $2)",
        tiny.course_id,
        QUOTA - 1,
    )
    tutor = tiny.service(StandInModel())
    await tutor.ask(await tiny.context(42), "Last one", Streamed(), request_id=7001)

    again = await tutor.ask(await tiny.context(42), "Last one", Streamed(), request_id=7001)

    assert again.remaining == 0
    assert await tiny.typed_count(42) == QUOTA
    with pytest.raises(QuotaExhausted):
        await tutor.ask(await tiny.context(42), "One more", Streamed(), request_id=7002)


async def test_a_refunded_update_pays_again_when_it_is_handled_again(tiny: Tiny) -> None:
    await tiny.learner(42)
    model = StandInModel()
    model.failure = ModelUnavailable("busy")
    tutor = tiny.service(model)
    with pytest.raises(ModelUnavailable):
        await tutor.ask(await tiny.context(42), "Where?", Streamed(), request_id=7001)
    assert await tiny.typed_count(42) == 0

    model.failure = None
    await tutor.ask(await tiny.context(42), "Where?", Streamed(), request_id=7001)

    assert await tiny.typed_count(42) == 1
    assert await tiny.pool.fetchval("SELECT count(*) FROM ai_mentor_thread_messages") == 2


async def test_concurrent_reserves_for_one_update_take_one_prompt(tiny: Tiny) -> None:
    await tiny.learner(42)
    context = await tiny.context(42)

    results = await asyncio.gather(
        *(tiny.store.reserve_prompt(context, 7001) for _ in range(5)), return_exceptions=True
    )

    assert await tiny.typed_count(42) == 1
    assert all(r == 1 or isinstance(r, asyncpg.UniqueViolationError) for r in results)
