"""The learner's journey: catalog, enrollment, personas, modules and topics, progress.

Every use case re-checks access against stored state (the learner owns an active
enrollment, the module is unlocked, the topic exists), because the requests come from
buttons whose data the client can forge or replay long after the fact.

The package, one concept a module: `model` (the values), `rules` (pure functions: a
module's state, progress, where to continue), `ports` (what the service needs of storage)
and `service` (the use cases). Refusals are in `domain.errors`, their wording in
`bot/views/refusals.py`.
"""
