"""Voice messages: ``messages`` sends, reads, plays back and deletes them (and keeps every
domain's recordings until they are transcoded), ``uploads`` takes a recording in resumable
pieces, ``processing`` transcodes it once, ``mailboxes`` pages the inbox and outbox, and
``live`` streams new deliveries to a connected device."""
