"""What changes to programmes are announced, after commit (see common.announcements)."""

from __future__ import annotations

from django.dispatch import Signal

# A programme's name, colours, logo, rules or active state changed: every pass of it shows them.
# kwargs: program_id, fields (the names of the fields that changed).
program_changed = Signal()
