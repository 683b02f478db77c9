"""Voice messages: ``messages`` sends, plays back and deletes them, ``message_views`` is how one
reads (and whose mailbox it is in), ``mailboxes`` pages the inbox and outbox, ``story_details``
checks what a sender says of a story, ``delivery`` puts what is due into inboxes exactly once,
``moving`` changes a message's time, ``retention`` deletes what is kept no longer, and ``live``
streams new deliveries to a connected device. The recording a message carries is the
``recordings`` domain's."""
