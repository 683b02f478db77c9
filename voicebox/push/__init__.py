"""The push server: the live streams (``/inbox/events``, ``/volunteer/events``) served from an
asyncio process, so that an open stream costs memory, not a thread.

Its streams look at the database through the same readers as the API's own stream, run on a
few threads of its own (as many as its database pool), and only when a wake-up (or, rarely, a
poll) says to; between looks a stream is an idle connection and a waiting task. The database
stays the truth and the bus only says when to look.
"""
