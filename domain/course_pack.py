"""Course packs: the authoring format, validated as a whole before anything is written.

An author gets every problem at once, each as `file:line: message`, so one run of the
importer is enough to fix a pack. The format is documented in docs/course-pack.md.

Over ~400 lines on purpose: it is the whole format in one place, the file schema
(pydantic models), the parsed pack and the checks that turn every mistake into one
`file:line: message`; split, a change to the format would touch every part.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from domain import wording, yaml_lines
from domain.personas import VARIANT_PERSONAS, Persona
from domain.review.rules import POLL_EXPLANATION, POLL_EXPLANATION_LINE_FEEDS, telegram_length

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)]

_MODULE_DIR = re.compile(r"^(\d{1,3})-[A-Za-z0-9_-]+$")
_TOPIC_FILE = re.compile(r"^(\d{1,3})-([A-Za-z0-9_-]+?)(?:\.([A-Za-z]+))?\.md$")
_REFERENCE_SUFFIXES = (".md", ".txt", ".pdf")
# `## Heading {module=2}`: the module a reference section belongs to (domain.placement).
MODULE_ATTRIBUTE = re.compile(r"\s*\{\s*module\s*=\s*(\d+)\s*\}\s*$")


class Strict(BaseModel):
    """A pack file's model: unknown fields are refused and nothing is coerced, so a typo is
    a problem at its line rather than a key silently ignored (course packs, path files)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class CourseSettings(Strict):
    quiz_pass_threshold: int = Field(default=70, ge=1, le=100)
    quiz_cooldown_hours: int = Field(default=24, ge=0, le=24 * 30)
    quiz_attempts_limit: int = Field(default=0, ge=0)
    quiz_question_count: int = Field(default=10, ge=1, le=50)
    quiz_requires_topics: bool = True
    typed_prompt_quota: int = Field(default=10, ge=0, le=10_000)
    # When a learner may rate the course: once they completed it, or its first module.
    reviews_after: Literal["course", "first_module"] = "course"


class CourseMeta(Strict):
    slug: Slug
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    description: str = ""
    category: str = ""
    level: Literal["beginner", "intermediate", "advanced"] = "beginner"
    price_cents: int = Field(default=0, ge=0)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "USD"
    settings: CourseSettings = CourseSettings()
    # Which module a reference document belongs to ({file name: module}); the import
    # places the others section by section (docs/course-pack.md, "Reference material").
    reference_modules: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    # Courses a learner must complete before enrolling (domain.prerequisites).
    requires: list[Slug] = Field(default_factory=list, max_length=20)


class ModuleMeta(Strict):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    description: str = ""


class OptionSpec(Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    correct: bool = False


class ReviewSpec(Strict):
    """A review card on a topic: asked in spaced review once its module is open."""

    id: Slug | None = None
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    options: list[OptionSpec] = Field(min_length=2, max_length=6)
    explanation: Annotated[str, StringConstraints(max_length=600)] = ""


class TopicFront(Strict):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    ppt_url: Url | None = None
    video_url: Url | None = None
    review: list[ReviewSpec] = Field(default_factory=list)


class QuestionSpec(Strict):
    pair: int = Field(ge=0)
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    options: list[OptionSpec] = Field(min_length=2, max_length=6)
    explanation: Annotated[str, StringConstraints(max_length=600)] = ""


class QuizFile(Strict):
    questions: list[QuestionSpec] = Field(min_length=1)


class SuggestionSpec(Strict):
    id: Slug
    prompt: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    topic: Annotated[str, StringConstraints(pattern=r"^\d{1,3}\.\d{1,3}$")] | None = None
    parent: Slug | None = None
    answer: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1500)] | None = None


class SuggestionsFile(Strict):
    suggestions: list[SuggestionSpec] = Field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class PackError(Exception):
    """The pack is refused; `problems` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class OptionPack:
    text: str
    correct: bool


@dataclass(frozen=True)
class ReviewCardPack:
    """An author's review card: `key` is its `id`, or derived from module, topic and
    question text (so rewording a card without an id makes it a new card)."""

    key: str
    question: str
    options: tuple[OptionPack, ...]
    explanation: str


@dataclass(frozen=True)
class TopicPack:
    number: int
    title: str
    text: str
    variants: Mapping[Persona, str]
    ppt_url: str | None
    video_url: str | None
    source: str
    review_cards: tuple[ReviewCardPack, ...] = ()


@dataclass(frozen=True)
class QuestionPack:
    key: str
    pair: int
    question: str
    options: tuple[OptionPack, ...]
    explanation: str


@dataclass(frozen=True)
class ModulePack:
    number: int
    title: str
    description: str
    topics: tuple[TopicPack, ...]
    questions: tuple[QuestionPack, ...]


@dataclass(frozen=True)
class SuggestionPack:
    key: str
    prompt: str
    topic: tuple[int, int] | None
    parent: str | None
    answer: str | None


@dataclass(frozen=True)
class ReferenceDoc:
    name: str
    text: str


@dataclass(frozen=True)
class CoursePack:
    meta: CourseMeta
    modules: tuple[ModulePack, ...]
    suggestions: tuple[SuggestionPack, ...]
    references: tuple[ReferenceDoc, ...]
    content_hash: str
    # `file:line: …` worth fixing though the pack imports (a quiz too short to draw from);
    # the import adds the text warnings of domain.chunking to these.
    warnings: tuple[str, ...] = ()
    requires_lines: Mapping[str, int] = field(default_factory=dict)  # slug: course.yaml line

    @property
    def topic_count(self) -> int:
        return sum(len(m.topics) for m in self.modules)

    @property
    def question_count(self) -> int:
        return sum(len(m.questions) for m in self.modules)

    @property
    def review_card_count(self) -> int:
        return sum(len(t.review_cards) for m in self.modules for t in m.topics)


def topic_pair_index(topic_number: int) -> int:
    """Seed 000: topics 1–2 form pair 0, topics 3–4 pair 1, and so on."""
    return (topic_number - 1) // 2


# What `yaml()` returns for a file that isn't valid YAML: its one syntax error is the
# problem; validating the nothing it parsed to would add "title: is required" and the like.
UNREADABLE: Any = object()


@dataclass
class Collector:
    """The problems and warnings of one check, each at `file:line`, gathered so an author
    sees them all at once (course packs and path files share it)."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    review_keys: dict[str, str] = field(default_factory=dict)  # card key: "file:line"

    def add(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message))

    def warn(self, file: str, line: int, message: str) -> None:
        self.warnings.append(Problem(file, line, message))

    def model(self, file: str, data: Any, model: type[BaseModel]) -> Any:
        if data is UNREADABLE:
            return None
        if data is None:
            data = {}
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(error["loc"])
                where = _where(loc)
                message = _friendly(error, yaml_lines.raw_of(data, loc))
                self.add(
                    file, yaml_lines.line_of(data, loc), f"{where}: {message}" if where else message
                )
            return None

    def yaml(self, file: str, text: str, first_line: int = 1) -> Any:
        try:
            return yaml_lines.load(text, first_line)
        except yaml_lines.YamlProblem as exc:
            self.add(file, exc.line, exc.message)
            return UNREADABLE


# A list's items, where dropping an "s" won't name them.
_ITEMS = {"review": "review card", "requires": "required course"}


def _where(loc: tuple[int | str, ...]) -> str:
    """A field's place as authors count: ("questions", 0, "options", 1, "text") is
    "question 1, option 2, text" — from 1, like every other message about a pack."""
    places: list[str] = []
    names: list[str] = []
    for part in loc:
        if isinstance(part, int) and names:
            name = names.pop()
            if names:
                places.append(".".join(names))
                names = []
            singular = _ITEMS.get(name, name[:-1] if name.endswith("s") else name)
            places.append(f"{singular} {part + 1}")
        else:
            names.append(str(part))
    if names:
        places.append(".".join(names))
    return ", ".join(places)


_YAML_TYPES = {bool: "a yes/no value", int: "a number", float: "a number"}


def _friendly(error: Any, raw: str | None) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind == "string_pattern_mismatch" and (
        error["loc"][-1:] in (("slug",), ("id",), ("parent",)) or error["loc"][:1] == ("requires",)
    ):
        return "use lower-case letters, digits and '-' (at most 63)"
    if kind == "string_type" and type(value) in _YAML_TYPES:
        # `text: True`, `topic: 1.10`: YAML reads them as true/false and numbers.
        written = raw if raw is not None else str(value)
        return (
            f'YAML reads {written} as {_YAML_TYPES[type(value)]}, not text: quote it, "{written}"'
        )
    if kind == "bool_type" and isinstance(value, str):
        return f"write true or false without quotes (not {value!r})"
    if kind == "int_type" and isinstance(value, str):
        return f"write a whole number without quotes (not {value!r})"
    return error["msg"]


def parse_pack(files: Mapping[str, str], problems: list[Problem] | None = None) -> CoursePack:
    """Validate a pack given as {relative posix path: text}; raise PackError listing everything.

    `problems` carries what the caller already found while reading (undecodable files…).
    """
    out = Collector(list(problems or []))
    meta = None
    meta_data: Any = None
    if "course.yaml" not in files:
        out.add("course.yaml", 1, "file is missing: every pack needs a course.yaml")
    else:
        meta_data = out.yaml("course.yaml", files["course.yaml"])
        meta = out.model("course.yaml", meta_data, CourseMeta)

    module_files: dict[int, dict[str, str]] = {}
    module_dirs: dict[int, str] = {}
    references: list[ReferenceDoc] = []
    for path in sorted(files):
        parts = path.split("/")
        if path in ("course.yaml", "suggestions.yaml") or parts[-1].startswith("."):
            continue
        if parts[0] == "reference" and len(parts) == 2:
            if parts[1].lower().endswith(_REFERENCE_SUFFIXES):
                if files[path].strip():
                    references.append(ReferenceDoc(parts[1], files[path]))
                else:
                    out.add(path, 1, "reference document is empty")
            else:
                out.add(path, 1, "reference material must be .md, .txt or .pdf")
            continue
        if parts[0] == "modules" and len(parts) == 3:
            match = _MODULE_DIR.match(parts[1])
            if not match:
                out.add(
                    path, 1, f"module folder {parts[1]!r} must be named NN-name, e.g. 01-basics"
                )
                continue
            number = int(match.group(1))
            if number in module_dirs and module_dirs[number] != parts[1]:
                out.add(path, 1, f"module {number} is also in folder {module_dirs[number]!r}")
                continue
            module_dirs[number] = parts[1]
            module_files.setdefault(number, {})[parts[2]] = files[path]
            continue
        if parts[0] in ("README.md", "LICENSE", "LICENSE.md"):
            continue
        out.add(path, 1, "unexpected file: not part of the course-pack format")

    draws = meta.settings.quiz_question_count if meta else CourseSettings().quiz_question_count
    modules = [
        module
        for number in sorted(module_files)
        if (module := _module(out, number, module_dirs[number], module_files[number], draws))
    ]
    if not module_files:
        out.add("modules", 1, "a course needs at least one module folder (modules/01-name/)")
    for folder, gap in _gaps({n: module_dirs[n] for n in module_files}, "module", "folder"):
        out.add(f"modules/{folder}", 1, gap)

    suggestions: list[SuggestionPack] = []
    if "suggestions.yaml" in files:
        suggestions = _suggestions(out, files["suggestions.yaml"], modules)
    _reference_modules(out, meta, meta_data, references, len(module_files))
    requires_lines = _requires(out, meta, meta_data)

    if out.problems or meta is None:
        raise PackError(out.problems)
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + files[path].encode() + b"\0")
    return CoursePack(
        meta,
        tuple(modules),
        tuple(suggestions),
        tuple(references),
        digest.hexdigest(),
        tuple(str(w) for w in sorted(out.warnings, key=lambda w: (w.file, w.line))),
        requires_lines,
    )


def _requires(out: Collector, meta: CourseMeta | None, meta_data: Any) -> dict[str, int]:
    """`requires:` names other courses, each once; whether they exist (and make no cycle)
    is for the import to check against the database (domain.prerequisites)."""
    if meta is None or not meta.requires:
        return {}
    lines = getattr(meta_data.get("requires"), "item_lines", [])
    found: dict[str, int] = {}
    for index, slug in enumerate(meta.requires):
        line = lines[index] if index < len(lines) else 1
        if slug == meta.slug:
            out.add("course.yaml", line, f"requires: a course cannot require itself ({slug!r})")
        elif slug in found:
            out.add("course.yaml", line, f"requires: {slug!r} is listed twice")
        found.setdefault(slug, line)
    return found


def _reference_modules(
    out: Collector,
    meta: CourseMeta | None,
    meta_data: Any,
    references: list[ReferenceDoc],
    modules: int,
) -> None:
    """Every module an author gives reference material must exist, and every file named."""
    names = {doc.name for doc in references}
    if meta is not None:
        given = meta_data.get("reference_modules") if isinstance(meta_data, dict) else None
        line_of = getattr(given, "key_lines", {})
        for name, module in meta.reference_modules.items():
            line = line_of.get(name, 1)
            if name not in names:
                out.add("course.yaml", line, f"reference_modules: no file reference/{name}")
            elif module > modules:
                out.add("course.yaml", line, f"reference_modules: {name}: no module {module}")
    for doc in references:
        for number, line in enumerate(doc.text.splitlines(), 1):
            found = MODULE_ATTRIBUTE.search(line) if line.lstrip().startswith("#") else None
            if found and not 1 <= int(found.group(1)) <= modules:
                out.add(
                    f"reference/{doc.name}", number, f"{{module={found.group(1)}}}: no such module"
                )


def _gaps(names: Mapping[int, str], what: str, kind: str) -> list[tuple[str, str]]:
    """Where numbering 1, 2, 3 … breaks, said at the first folder or file after the gap
    (the one misnumbered, or the one after the missing one), with the name it would have
    if it were the one missing. ``names``: number → folder or file name."""
    found = []
    numbers = sorted(names)
    for previous, number in zip([0, *numbers], numbers, strict=False):
        if number == previous + 1:
            continue
        first, last = previous + 1, number - 1
        after = f"{what} {number} follows {what} {previous}" if previous else f"{what}s start at 1"
        if first == last:
            missing = f"{what} {first} is missing; add it"
        else:
            span = "and" if last == first + 1 else "to"
            missing = f"{what}s {first} {span} {last} are missing; add them"
        renamed = f"{first:02d}-{names[number].split('-', 1)[1]}"
        found.append((names[number], f"{after}: {missing}, or rename this {kind} {renamed}"))
    return found


def _module(
    out: Collector, number: int, folder: str, files: dict[str, str], draws: int
) -> ModulePack | None:
    base = f"modules/{folder}"
    meta = None
    if "module.yaml" in files:
        meta = out.model(
            f"{base}/module.yaml", out.yaml(f"{base}/module.yaml", files["module.yaml"]), ModuleMeta
        )
    else:
        out.add(f"{base}/module.yaml", 1, "file is missing: every module needs a title")

    defaults: dict[int, tuple[str, str, str]] = {}
    variants: dict[int, dict[Persona, str]] = {}
    variant_files: list[tuple[int, str, str]] = []
    for name, text in sorted(files.items()):
        path = f"{base}/{name}"
        if name in ("module.yaml", "quiz.yaml"):
            continue
        match = _TOPIC_FILE.match(name)
        if not match:
            out.add(path, 1, "unexpected file: topics are NN-name.md (variants NN-name.persona.md)")
            continue
        topic_no, stem, persona = int(match.group(1)), match.group(2), match.group(3)
        if topic_no < 1:
            out.add(path, 1, "topic numbers start at 1")
            continue
        if persona is None:
            if topic_no in defaults:
                out.add(
                    path,
                    1,
                    f"duplicate topic number {topic_no}: also {base}/{defaults[topic_no][0]}",
                )
                continue
            defaults[topic_no] = (name, text, stem)
        elif persona == Persona.NORMAL.value:
            out.add(
                path, 1, "the normal persona is the default text: put it in the topic's own file"
            )
        elif persona not in {p.value for p in VARIANT_PERSONAS}:
            allowed = ", ".join(p.value for p in VARIANT_PERSONAS)
            out.add(path, 1, f"unknown persona {persona!r}: use one of {allowed}")
        else:
            variant_files.append((topic_no, stem, name))
            body = text.strip()
            if not body:
                out.add(path, 1, "persona variant is empty")
            variants.setdefault(topic_no, {})[Persona(persona)] = body

    topics: list[TopicPack] = []
    for topic_no in sorted(defaults):
        name, text, _ = defaults[topic_no]
        topic = _topic(out, f"{base}/{name}", (number, topic_no), text, variants.get(topic_no, {}))
        if topic:
            topics.append(topic)
    for topic_no, stem, name in variant_files:
        if topic_no not in defaults:
            out.add(
                f"{base}/{name}",
                1,
                f"persona variant of topic {topic_no}, which has no "
                f"default file {topic_no:02d}-{stem}.md",
            )
        elif defaults[topic_no][2] != stem:
            out.add(
                f"{base}/{name}",
                1,
                f"variant name does not match topic file {defaults[topic_no][0]}",
            )
    if not defaults:
        out.add(f"{base}/module.yaml", 1, "a module needs at least one topic (NN-name.md)")
    for name, gap in _gaps({n: d[0] for n, d in defaults.items()}, "topic", "file"):
        out.add(f"{base}/{name}", 1, gap)

    questions: list[QuestionPack] = []
    if "quiz.yaml" in files:
        questions = _quiz(
            out, f"{base}/quiz.yaml", files["quiz.yaml"], number, sorted(defaults), draws
        )
    if meta is None:
        return None
    return ModulePack(number, meta.title, meta.description, tuple(topics), tuple(questions))


def _topic(
    out: Collector, path: str, where: tuple[int, int], text: str, variants: dict[Persona, str]
) -> TopicPack | None:
    front_data: Any = None
    body = text
    first_body_line = 1
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end == -1:
            out.add(path, 1, "front matter is not closed with a '---' line")
            return None
        front_data = out.yaml(path, text[4:end], first_line=2)
        rest = text[end + 4 :]
        body = rest.split("\n", 1)[1] if "\n" in rest else ""
        first_body_line = text[: end + 4].count("\n") + 2
    else:
        out.add(path, 1, "topic file must start with front matter (---, title: ..., ---)")
        return None
    front = out.model(path, front_data, TopicFront)
    if not body.strip():
        out.add(path, first_body_line, "topic text is empty")
        return None
    if front is None:
        return None
    cards = _review_cards(out, path, where, front.review, front_data)
    return TopicPack(
        where[1],
        front.title,
        body.strip(),
        dict(variants),
        front.ppt_url,
        front.video_url,
        path,
        cards,
    )


def _review_cards(
    out: Collector, path: str, where: tuple[int, int], specs: list[ReviewSpec], data: Any
) -> tuple[ReviewCardPack, ...]:
    """A topic's `review:` cards, checked as quiz questions are; a card that would not fit
    a Telegram quiz poll is warned about (it is asked with buttons instead)."""
    module_no, topic_no = where
    cards: list[ReviewCardPack] = []
    for index, spec in enumerate(specs):
        line = data["review"].item_lines[index]
        label = f"review card {index + 1}"
        _check_choices(out, path, line, label, spec.question, spec.options)
        key = (
            spec.id
            or hashlib.sha256(f"{module_no}\0{topic_no}\0{spec.question}".encode()).hexdigest()[:16]
        )
        if key in out.review_keys:
            what = f"id {spec.id!r}" if spec.id else "question"
            out.add(path, line, f"{label}: the same {what} is also at {out.review_keys[key]}")
        out.review_keys.setdefault(key, f"{path}:{line}")
        explanation = spec.explanation.strip()
        cards.append(
            ReviewCardPack(
                key,
                spec.question,
                tuple(OptionPack(o.text, o.correct) for o in spec.options),
                explanation,
            )
        )
        misfit = _poll_misfit(explanation)
        if misfit:
            out.warn(path, line, f"{label}: {misfit}: it is asked with buttons, not as a poll")
    return tuple(cards)


def _poll_misfit(explanation: str) -> str | None:
    """Why a card (whose question and options the schema already keeps within the poll
    limits) cannot be a quiz poll: its explanation, per domain.review.rules."""
    if telegram_length(explanation) > POLL_EXPLANATION:
        return f"explanation is over {POLL_EXPLANATION} characters"
    if explanation.count("\n") > POLL_EXPLANATION_LINE_FEEDS:
        return f"explanation has more than {POLL_EXPLANATION_LINE_FEEDS} line breaks"
    return None


def _check_choices(
    out: Collector, path: str, line: int, label: str, question: str, options: list[OptionSpec]
) -> None:
    """What quiz questions and review cards share: a correct option, several announced,
    no option twice."""
    correct = sum(o.correct for o in options)
    if not correct:
        out.add(path, line, f"{label} has no correct option (mark one with correct: true)")
    if correct > 1 and "select all" not in question.lower():
        out.add(
            path,
            line,
            f'{label} has {correct} correct options: say "(select all that apply)" in its text',
        )
    texts = [o.text for o in options]
    if len(set(texts)) != len(texts):
        out.add(path, line, f"{label} repeats an option")


def _quiz(
    out: Collector, path: str, text: str, module_no: int, topic_numbers: list[int], draws: int
) -> list[QuestionPack]:
    data = out.yaml(path, text)
    quiz = out.model(path, data, QuizFile)
    if quiz is None:
        return []
    pairs = {topic_pair_index(t) for t in topic_numbers}
    questions: list[QuestionPack] = []
    for index, spec in enumerate(quiz.questions):
        line = data["questions"].item_lines[index]
        _check_choices(out, path, line, f"question {index + 1}", spec.question, spec.options)
        if spec.pair not in pairs:
            out.add(
                path,
                line,
                f"question {index + 1}: pair {spec.pair} has no topics in this "
                f"module (pairs here: {sorted(pairs)})",
            )
        key = hashlib.sha256(f"{module_no}\0{spec.question}".encode()).hexdigest()[:16]
        questions.append(
            QuestionPack(
                key,
                spec.pair,
                spec.question,
                tuple(OptionPack(o.text, o.correct) for o in spec.options),
                spec.explanation.strip(),
            )
        )
    keys = [q.key for q in questions]
    if len(set(keys)) != len(keys):
        out.add(path, 1, "the same question text appears twice")
    _short_quiz(out, path, data.key_lines.get("questions", 1), len(questions), draws)
    return questions


# Fewer questions than this and one answer decides the result (with 2, a 70 % pass mark
# needs both right); the demo course has 8–10 a module.
FEW_QUESTIONS = 3


def _short_quiz(out: Collector, path: str, line: int, questions: int, draws: int) -> None:
    """A quiz that imports but is thin: warned, not refused (a short quiz is the author's
    choice, and a draft course may add questions later)."""
    n = wording.count(questions, "question")
    same = f"every attempt asks the same ones (quiz_question_count is {draws})"
    if questions < FEW_QUESTIONS:
        said = f"only {n}: one answer decides the result" + (
            f", and {same}" if questions < draws else ""
        )
    elif questions < draws:
        said = f"{n}, fewer than quiz_question_count ({draws}): every attempt asks all of them"
    else:
        return
    out.warn(path, line, f"{said}; add questions (4 or more per topic pair)")


def _suggestions(out: Collector, text: str, modules: list[ModulePack]) -> list[SuggestionPack]:
    path = "suggestions.yaml"
    data = out.yaml(path, text)
    parsed = out.model(path, data, SuggestionsFile)
    if parsed is None:
        return []
    topics = {(m.number, t.number) for m in modules for t in m.topics}
    seen: set[str] = set()
    result: list[SuggestionPack] = []
    for index, spec in enumerate(parsed.suggestions):
        line = data["suggestions"].item_lines[index]
        if spec.id in seen:
            out.add(path, line, f"duplicate suggestion id {spec.id!r}")
        topic = None
        if spec.topic is not None:
            module_no, topic_no = (int(p) for p in spec.topic.split("."))
            topic = (module_no, topic_no)
            if topic not in topics and modules:
                out.add(path, line, f"suggestion {spec.id!r}: topic {spec.topic} does not exist")
        if spec.parent is not None and spec.parent not in seen:
            out.add(
                path,
                line,
                f"suggestion {spec.id!r}: parent {spec.parent!r} is not defined above it",
            )
        seen.add(spec.id)
        result.append(SuggestionPack(spec.id, spec.prompt, topic, spec.parent, spec.answer))
    return result
