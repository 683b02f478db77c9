"""When messages arrive: ``schedules`` plans bedtime deliveries and moves a message's time,
``delivery`` puts what is due into inboxes exactly once, and ``local_times`` reads wall-clock
rules (quiet hours, weekly times) in a child's time zone."""
