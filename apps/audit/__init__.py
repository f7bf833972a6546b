"""Who did what: the append-only audit log of a CPTS (its schema) and of the platform (public).

``record(actor, action, target, **details)`` is the one way to write it (``apps.audit.log``).
"""
