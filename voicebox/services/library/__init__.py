"""The story library: a child's stories and series, and the boxes organisations give.

``stories`` is a child's library (the family's stories and the boxes they were given) and its
series; ``catalogue`` is an organisation's own stories as its curators keep them; ``copies``
brings a library story to a child as their own message; and ``organisations`` is the curators'
side: groups of children, and the boxes given to them. What a sender says of a story is checked
by ``messaging.story_details``.
"""
