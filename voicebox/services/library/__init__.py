"""The story library: stories with their details, series, and the boxes organisations give.

``story_details`` checks what a sender says of a story, ``stories`` is a child's library (the
family's stories and the boxes they were given) and its series, and ``organisations`` is the
curators' side: their library, groups of children, and the boxes given to them.
"""
