"""Redis keys of the scheduler."""

from __future__ import annotations

from bridge.constants import KEY_PREFIX

#: Unix seconds of the last tick fired for a rule: bridge:schedule:last:<rule>.
LAST_TICK = KEY_PREFIX + "schedule:last:"
#: How long a rule's last tick is remembered after its last write (a removed rule's key
#: goes away; any real schedule ticks, or is re-baselined, far more often than this).
LAST_TICK_TTL = 800 * 86400
