-- Several bots may share one database: `tutorbot run` with a demo open on the same
-- DATA_DIR, two demos side by side (each is its own local Telegram, with its own bot), or
-- two tokens on one PostgreSQL. Update ids, chats and the right to message a person belong
-- to one bot, so every row a process claims or sweeps says which bot it belongs to
-- (`bot_id`: the number before ':' in the token), and a process only ever claims its own.
--
-- Rows written before this migration get bot 0, "not told apart yet": no process claims
-- them until `tutorbot run` (the deployment's real bot) adopts them at start
-- (storage/bots.py). The demo never adopts: its bot lives only as long as the process.
-- The defaults are dropped afterwards, so a writer that forgets its bot fails loudly
-- instead of writing rows nobody will claim.

-- The inbox: update ids are per bot (two bots may both receive update 7), and one claim
-- per chat and bot (the same person may talk to two bots at once).
ALTER TABLE update_inbox ADD COLUMN bot_id bigint NOT NULL DEFAULT 0;
ALTER TABLE update_inbox ALTER COLUMN bot_id DROP DEFAULT;
ALTER TABLE update_inbox DROP CONSTRAINT update_inbox_pkey;
ALTER TABLE update_inbox ADD PRIMARY KEY (bot_id, update_id);
DROP INDEX update_inbox_pending_idx;
CREATE INDEX update_inbox_pending_idx ON update_inbox (bot_id, chat_key, update_id)
    WHERE processed_at IS NULL;
-- update_inbox_pending_order_idx stays on (update_id) alone: on (bot_id, update_id) the
-- planner took it for a finish's "next update of this chat" (equal bot, order by id,
-- limit 1) and walked every waiting update of the bot, which cut benchmarks/inbox.py
-- from ~10,000 to ~1,400 updates/s. A database holds a bot or two, so the poll's claim
-- filters the few other bots' rows out of it for nothing.
DROP INDEX update_inbox_one_claim_per_chat_idx;
CREATE UNIQUE INDEX update_inbox_one_claim_per_chat_idx ON update_inbox (bot_id, chat_key)
    WHERE claimed_by IS NOT NULL AND processed_at IS NULL;

-- Once-per-update effects are keyed by the update, so by its bot too.
ALTER TABLE update_effects ADD COLUMN bot_id bigint NOT NULL DEFAULT 0;
ALTER TABLE update_effects ALTER COLUMN bot_id DROP DEFAULT;
ALTER TABLE update_effects DROP CONSTRAINT update_effects_pkey;
ALTER TABLE update_effects ADD PRIMARY KEY (bot_id, update_id, effect);

-- A broadcast is sent by the bot its author used: it alone can message the audience and
-- edit the progress message in the author's chat; only its processes resume it.
ALTER TABLE broadcasts ADD COLUMN bot_id bigint NOT NULL DEFAULT 0;
ALTER TABLE broadcasts ALTER COLUMN bot_id DROP DEFAULT;
CREATE INDEX broadcasts_sending_idx ON broadcasts (bot_id) WHERE status = 'sending';

-- The bot a person last wrote to: the one that may message them unasked (a cooldown
-- notice, a broadcast). A person is one learner whichever bot they use — progress,
-- enrollments and the conversation's place stay shared — but a bot can only write to
-- people who started it. NULL: not known (no message since this migration).
ALTER TABLE users ADD COLUMN bot_id bigint;
CREATE INDEX users_bot_idx ON users (bot_id);
