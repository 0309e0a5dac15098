-- How the tutor was asked to answer (domain.teaching): 'explain', 'hint' (an exercise or
-- quiz-like request: a hint and a guiding question, not the answer) or 'worked' (the
-- learner's attempt after a hint). The next message of the thread reads it: after a hint
-- it is the learner's attempt. NULL for rows from before, and for answers without a model.
ALTER TABLE ai_mentor_thread_messages
    ADD COLUMN teaching text CHECK (teaching IN ('explain', 'hint', 'worked'));
