"""Recordings, used by messages, library stories and help threads alike: ``uploads`` takes one
in resumable pieces, ``recordings`` takes one in, shows what became of it, serves its audio and
lets it go, and ``processing`` transcodes it once and tells its followers (the domains whose rows
wait for it) when it is settled."""
