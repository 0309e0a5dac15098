-- Reminders in the learner's time zone (domain/reminders.py): one row a learner, swept by
-- every replica (bot/jobs/reminders.py) with FOR UPDATE SKIP LOCKED and a lease.
--
-- `at_time` is the wall-clock time chosen (NULL: when the learner usually studies, learned
-- from their activity); quiet hours are [quiet_start, quiet_end) local time, wrapping
-- midnight when start > end. `next_at` is the next instant the domain allows (UTC; NULL:
-- nothing to send, e.g. stopped); `claimed_until` is the lease of the replica sending it.
-- `sent_count` picks the next message variant. `bot_id`: the bot that may write to them.
CREATE TABLE reminders (
    user_id           bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    bot_id            bigint NOT NULL,
    at_time           time,
    quiet_start       time,
    quiet_end         time,
    stopped           boolean NOT NULL DEFAULT false,
    ignored_in_a_row  integer NOT NULL DEFAULT 0 CHECK (ignored_in_a_row >= 0),
    last_sent_at      timestamptz,
    snoozed_until     timestamptz,
    sent_count        integer NOT NULL DEFAULT 0 CHECK (sent_count >= 0),
    next_at           timestamptz,
    claimed_until     timestamptz,
    updated_at        timestamptz NOT NULL,
    CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);
-- The sweep: a bot's reminders due by now, earliest first.
CREATE INDEX reminders_due_idx ON reminders (bot_id, next_at)
    WHERE NOT stopped AND next_at IS NOT NULL;
