-- The durable inbox: every update Telegram hands us is written here before we answer 200,
-- so an acknowledged update survives a crash. Workers in every replica claim rows with a
-- lease; only the oldest unfinished update of a chat is ever claimable, which keeps each
-- chat's updates in order across replicas. Rows stay after processing (for the retention
-- period) so a re-delivered update_id is recognised and ignored.
CREATE TABLE update_inbox (
    update_id      bigint PRIMARY KEY,
    chat_key       bigint,
    kind           text NOT NULL,
    payload        jsonb NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    claimed_by     text,
    claimed_until  timestamptz,
    attempts       integer NOT NULL DEFAULT 0,
    processed_at   timestamptz,
    failed         boolean NOT NULL DEFAULT false,
    last_error     text
);
-- Pending work, per chat in update order: the claim's "is this the chat's head?" probe
-- and the head scan both stay inside this small partial index.
CREATE INDEX update_inbox_pending_idx ON update_inbox (chat_key, update_id)
    WHERE processed_at IS NULL;
CREATE INDEX update_inbox_pending_order_idx ON update_inbox (update_id)
    WHERE processed_at IS NULL;
CREATE INDEX update_inbox_processed_idx ON update_inbox (processed_at)
    WHERE processed_at IS NOT NULL;

-- Effects that must happen once per update even if the update is processed again (a
-- replica died after committing them but before marking the update done): a typed
-- question's quota, its stored exchange, an admin's grant. The row is written in the same
-- transaction as the effect.
CREATE TABLE update_effects (
    update_id   bigint NOT NULL,
    effect      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (update_id, effect)
);
CREATE INDEX update_effects_created_idx ON update_effects (created_at);

-- Superseded by update_inbox, which remembers processed ids the same way.
DROP TABLE processed_updates;

-- At most one update of a chat is being worked on at any moment, whichever replica claimed
-- it; a webhook request that would break this (two updates of one chat arriving at once)
-- stores its update unclaimed instead.
CREATE UNIQUE INDEX update_inbox_one_claim_per_chat_idx ON update_inbox (chat_key)
    WHERE claimed_by IS NOT NULL AND processed_at IS NULL;
