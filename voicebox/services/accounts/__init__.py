"""Accounts: ``users`` registers, logs in and out, makes staff and approves volunteers;
``tokens`` issues, resolves and revokes bearer tokens; ``housekeeping`` sweeps credentials
nobody can use any more."""
