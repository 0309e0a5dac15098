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
ALTER TABLE update_inbox ADD PRIMARY KEY (update_id, bot_id);
-- No index of the inbox leads with bot_id (the key is (update_id, bot_id), the waiting
-- updates stay on (chat_key, update_id) and (update_id)): a chat is one person, who
-- rarely talks to two bots, so the bot is a cheap filter. With bot_id leading an index, a
-- freshly filled inbox (statistics saying "1 row") got plans that scan by the bot alone — the claim's "no earlier update in this chat"
-- compared every waiting update with every other, and a finish's "next update of this
-- chat" walked them all in id order: benchmarks/inbox.py fell from ~10,000 to ~1,500
-- updates/s, now and then.
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
