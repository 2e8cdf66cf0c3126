"""Push alerts: a sweep plans what is due into the outbox; a dispatcher sends it.

The split is what makes "exactly once, on time, at a decent hour" hold: planning is an
idempotent insert under a unique key, sending is a claimed row at a time, and every rule
about *when* (quiet hours, the grace window, retries) is applied at one place each.
"""
