"""``tutorbot demo``: talk to the real bot in a terminal, with no Telegram token.

The production PTB ``Application`` (``bot.app.build_application``) long-polls a local
``BotApiEmulator`` over real HTTP, so the demo exercises the same handlers, views, storage
and Bot API checks as production; only the other side of the wire is local.

- ``command``  – the ``tutorbot demo`` sub-command: database, course import, mode choice;
- ``session``  – the running stack and the learner's side of the chat (``DemoChat``);
- ``render``   – chat events as terminal text (``ChatScreen``), attachments saved to disk;
- ``terminal`` – the interactive chat loop;
- ``script``   – ``--script`` files: parser and runner.
"""
