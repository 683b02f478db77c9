"""The story library: a child's stories and series, and the boxes organisations give.

``stories`` is a child's library (the family's stories and the boxes they were given) and its
series, and ``organisations`` is the curators' side: their library, groups of children, and the
boxes given to them. What a sender says of a story is checked by ``messaging.story_details``.
"""
