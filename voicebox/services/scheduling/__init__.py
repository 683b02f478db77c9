"""When messages arrive: ``schedules`` plans bedtime deliveries from a child's schedules (the
family's queue, a box, a series) and moves a message's time; what falls due is delivered by
``messaging.delivery``."""
