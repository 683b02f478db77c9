"""Voice messages: ``messages`` sends, reads, plays back and deletes them (and keeps every
domain's recordings until they are transcoded), ``story_details`` checks what a sender says of
a story, ``uploads`` takes a recording in resumable pieces, ``processing`` transcodes it once,
``delivery`` puts what is due into inboxes exactly once, ``moving`` changes a message's time,
``mailboxes`` pages the inbox and outbox, and ``live`` streams new deliveries to a connected
device."""
