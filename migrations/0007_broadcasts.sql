-- Broadcasts that survive restarts: the message and its audience are fixed when the admin
-- confirms; each recipient row is claimed, sent and marked once, so a restart resumes
-- where it stopped and nobody is messaged twice.

CREATE TABLE broadcasts (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    actor_id      bigint NOT NULL,
    audience      text NOT NULL,          -- a course slug, or 'all'
    text          text NOT NULL,
    status        text NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'sending', 'done', 'cancelled')),
    chat_id       bigint,                 -- where the progress message lives
    message_id    bigint,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz
);

CREATE TABLE broadcast_recipients (
    broadcast_id   uuid NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    user_id        bigint NOT NULL,
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'sent', 'blocked', 'failed')),
    claimed_until  timestamptz,
    sent_at        timestamptz,
    PRIMARY KEY (broadcast_id, user_id)
);
CREATE INDEX broadcast_recipients_pending_idx
    ON broadcast_recipients (broadcast_id) WHERE status = 'pending';

ALTER TABLE courses ADD COLUMN archived_at timestamptz;
