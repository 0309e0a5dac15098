"""Spaced review with FSRS: cards from wrong quiz answers and the author's review cards.

A card joins a learner's deck when they get a quiz question wrong, or (an author's card)
once its module is unlocked; nothing from a locked module is ever asked. /review asks
today's due cards one at a time within a daily cap, as native quiz polls where Telegram's
limits allow (`rules.as_poll`), with the inline-button question otherwise. Each answer's
correctness and time become an FSRS rating (`rules.rating`) and the `fsrs` package's
Scheduler re-schedules the card; its types stay inside this package (`ReviewCard.state`
is fsrs's own JSON-able dict), so storage keeps a JSON column and a `due` column.

The package: `model` (values), `rules` (pure functions), `ports` (what the service needs
of storage), `service` (the use cases).
"""
