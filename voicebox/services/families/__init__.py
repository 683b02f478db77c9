"""Families: ``children`` adds a child with consent and invites a second guardian, ``devices``
pairs a child's phone, and ``watchdog`` nudges the guardians of a child who has gone quiet."""
