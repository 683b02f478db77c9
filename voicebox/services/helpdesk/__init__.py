"""The help desk: children ask for help, volunteers take requests from a queue under a lease.

``threads`` asks and answers, ``claims`` takes requests from the queue and hands them back or
on, ``timers`` expires leases and escalates long waits, ``queue_events`` streams the queue to
helpers, ``oversight`` shows supervisors how it is doing, ``triage`` ranks a request,
``volunteers`` keeps helpers' presence and ``audit`` every helper's access to a request.
"""
