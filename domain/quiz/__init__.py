"""Module quizzes: drawing a question set, answering, scoring, unlocking and cooldowns.

The rules live here; the store only applies them atomically. Every change is a
compare-and-set against the state the rule was computed from (the attempt's current
question, the number of attempts started), so a double tap, a second device or a replayed
update finds the state moved on and changes nothing.

Correct answers never leave the server: the frozen question set keeps them, and a button
carries only the index of the option the learner picked.

The package, one concept a module: `model` (the values), `rules` (pure functions: the
draw, the score, the gate, what finishing does), `ports` (what the service needs of
storage) and `service` (the use cases). Refusals are in `domain.errors`, their wording in
`bot/views/refusals.py`.
"""
