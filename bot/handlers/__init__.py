"""Handler registration: the one place that maps Telegram updates to our handlers."""

from __future__ import annotations

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    PollAnswerHandler,
    filters,
)

from bot.handlers import (
    about,
    admin,
    broadcast,
    buttons,
    certificates,
    cohorts,
    course_admin,
    fallback,
    goals,
    learning,
    notes,
    pack_admin,
    preferences,
    privacy,
    quiz,
    ratings,
    reminders,
    review,
    staff_group,
    stats,
    system,
    tutor,
    typed,
)

# New messages in private chats only: edits, groups and channels are handled apart. A
# message without a sender (`from` is optional in the Bot API) has nobody to answer for.
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.USER


def register(application: Application) -> None:
    # Flood control first (group -1): an update over a learner's rate stops there.
    flood = application.bot_data.get("flood")
    if flood is not None:
        application.add_handler(flood.handler(), group=-1)
    # Presses first: nine updates in ten are presses, and PTB asks each handler in turn.
    # (A press's message is a bare MaybeInaccessibleMessage, bot/transport/updates.py; handlers
    # asked before this one would call `effective_message` on it, which PTB warns about.)
    application.add_handler(CallbackQueryHandler(buttons.on_button))
    application.add_handler(CommandHandler("start", learning.start, filters=PRIVATE))
    application.add_handler(CommandHandler("help", about.help_command, filters=PRIVATE))
    application.add_handler(CommandHandler("courses", learning.courses, filters=PRIVATE))
    application.add_handler(CommandHandler("progress", learning.progress, filters=PRIVATE))
    application.add_handler(CommandHandler("quiz", quiz.quiz_command, filters=PRIVATE))
    application.add_handler(
        CommandHandler("timezone", preferences.timezone_command, filters=PRIVATE)
    )
    application.add_handler(CommandHandler("remind", reminders.remind, filters=PRIVATE))
    application.add_handler(CommandHandler("newchat", tutor.new_chat, filters=PRIVATE))
    application.add_handler(CommandHandler("cancel", typed.cancel, filters=PRIVATE))
    application.add_handler(CommandHandler("note", notes.note, filters=PRIVATE))
    application.add_handler(CommandHandler("notes", notes.notes_command, filters=PRIVATE))
    application.add_handler(CommandHandler("bookmarks", notes.bookmarks_command, filters=PRIVATE))
    application.add_handler(CommandHandler("review", review.review_command, filters=PRIVATE))
    application.add_handler(PollAnswerHandler(review.on_poll_answer))
    application.add_handler(CommandHandler("rate", ratings.rate_command, filters=PRIVATE))
    application.add_handler(CommandHandler("hide_review", ratings.hide_review, filters=PRIVATE))
    application.add_handler(CommandHandler("goal", goals.goal, filters=PRIVATE))
    application.add_handler(
        CommandHandler("certificates", certificates.certificates_command, filters=PRIVATE)
    )
    application.add_handler(
        CommandHandler("certificate_name", certificates.certificate_name, filters=PRIVATE)
    )
    application.add_handler(CommandHandler("verify", certificates.verify_command, filters=PRIVATE))
    application.add_handler(
        CommandHandler("certificate", certificates.certificate_admin, filters=PRIVATE)
    )
    application.add_handler(CommandHandler("cohort", cohorts.cohort_command, filters=PRIVATE))
    application.add_handler(CommandHandler("cohort_new", cohorts.cohort_new, filters=PRIVATE))
    application.add_handler(CommandHandler("cohorts", cohorts.cohorts_command, filters=PRIVATE))
    application.add_handler(CommandHandler("cohort_tutor", cohorts.cohort_tutor, filters=PRIVATE))
    application.add_handler(CommandHandler("cohort_close", cohorts.cohort_close, filters=PRIVATE))
    application.add_handler(CommandHandler("mydata", privacy.mydata, filters=PRIVATE))
    application.add_handler(CommandHandler("deleteme", privacy.deleteme, filters=PRIVATE))
    application.add_handler(CommandHandler("admin", admin.menu, filters=PRIVATE))
    application.add_handler(CommandHandler("learner", admin.learner, filters=PRIVATE))
    application.add_handler(
        CommandHandler("courses_admin", course_admin.courses_command, filters=PRIVATE)
    )
    application.add_handler(CommandHandler("export", course_admin.export_command, filters=PRIVATE))
    application.add_handler(
        CommandHandler("broadcast", broadcast.broadcast_command, filters=PRIVATE)
    )
    application.add_handler(
        CommandHandler(list(admin.COMMANDS), admin.staff_command, filters=PRIVATE)
    )
    application.add_handler(CommandHandler("stats", stats.stats_command, filters=PRIVATE))
    application.add_handler(CommandHandler("import", pack_admin.import_text, filters=PRIVATE))
    application.add_handler(CommandHandler("reindex", pack_admin.reindex_command, filters=PRIVATE))
    application.add_handler(
        MessageHandler(
            PRIVATE & filters.Document.ALL & filters.CaptionRegex(r"^/import(@\w+)?(\s|$)"),
            pack_admin.import_document,
        )
    )
    application.add_handler(MessageHandler(PRIVATE & filters.COMMAND, fallback.unknown_command))
    application.add_handler(MessageHandler(PRIVATE & filters.TEXT, typed.on_text))
    application.add_handler(MessageHandler(PRIVATE, typed.on_media))
    # The staff group (bot/handlers/staff_group.py): linking it, and tutors' answers in
    # its request topics. Any other command in a group points to a private chat.
    groups = filters.ChatType.GROUPS
    application.add_handler(CommandHandler("link_staff_group", staff_group.link, filters=groups))
    application.add_handler(
        CommandHandler("unlink_staff_group", staff_group.unlink, filters=groups)
    )
    application.add_handler(
        MessageHandler(
            filters.ChatType.SUPERGROUP
            & filters.UpdateType.MESSAGE
            & filters.USER
            & filters.IS_TOPIC_MESSAGE
            & ~filters.COMMAND
            & ~filters.StatusUpdate.ALL,
            staff_group.topic_message,
        )
    )
    application.add_handler(MessageHandler(groups & filters.COMMAND, fallback.group_command))
    application.add_handler(
        ChatMemberHandler(staff_group.membership, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_error_handler(system.on_error)
