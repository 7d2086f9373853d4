"""Delta rule family (``DeltaRule``): each module defines ``RULES = [...]``."""
