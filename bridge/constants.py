"""Redis key prefixes, queue names and TTLs shared by several parts of the bridge.

Keys one part alone writes sit beside it: `bridge/executor/keys.py` (runs, limits) and
`bridge/poller/keys.py` (cursors, seen ids, snapshots, locks). Inbound deliveries need no
keys of their own: a delivery's event id is derived from its delivery id, so storing the
event is the dedupe.
"""

from __future__ import annotations

#: Prefix of every key the bridge writes, so one Redis can be shared and inspected.
KEY_PREFIX = "bridge:"

#: Hash of stored events, one key per event: bridge:event:<id> (JSON string).
EVENT_KEY = KEY_PREFIX + "event:"
#: Sorted set of event ids by time stored (score = unix seconds), for listing and pruning.
EVENTS_BY_TIME = KEY_PREFIX + "events:by-time"
#: Stream the router reads: one entry per newly stored event.
EVENT_STREAM = KEY_PREFIX + "events:stream"

#: The arq queue the executor's workers consume.
QUEUE_NAME = "bridge:queue"

#: How long stored events and run history are kept by default (seconds): 14 days.
DEFAULT_RETENTION_SECONDS = 14 * 24 * 3600

#: Where the embedded Valkey writes who owns it inside BRIDGE_DATA_DIR.
VALKEY_LOCK_FILE = "valkey.lock"
VALKEY_URL_FILE = "valkey.url"

#: Hash per polled resource with the poller's status, read by /readyz, /metrics and the
#: dashboard: bridge:poller:status:<resource>. Fields: state (ok | backoff | unauthorized |
#: standby), last_poll (unix s), last_success (unix s), cursor, last_error, events_fired,
#: lag_seconds.
POLLER_STATUS = KEY_PREFIX + "poller:status:"

#: Hash of counters shared by all processes for /metrics (HINCRBY): steps_succeeded,
#: steps_failed, retries, dead_letters, events_routed, ...
STATS = KEY_PREFIX + "stats"

#: Dead-letter queue: sorted set of dead-letter ids by time, one key per letter.
DLQ_INDEX = KEY_PREFIX + "dlq"
DLQ_ITEM = KEY_PREFIX + "dlq:item:"

#: Deepest nesting of lists/objects the bridge accepts in a body (400 beyond it) and walks
#: anywhere (views, serializers): deeper data is cut there, never recursed into.
MAX_NESTING = 64

#: Inbound bodies seen lately on hooks whose scheme does not sign a delivery id:
#: bridge:hooks:body:<hook>:<sha256 of the body> -> event id, for BRIDGE_REPLAY_WINDOW s.
HOOK_BODY_SEEN = KEY_PREFIX + "hooks:body:"

#: Failed admin-token attempts (dashboard login, admin API bearer) per client address:
#: bridge:auth:failures:<address> -> count, expiring AUTH_FAILURE_WINDOW s after the first.
AUTH_FAILURES = KEY_PREFIX + "auth:failures:"
#: Failures one client may make within the window before every attempt is answered 429.
AUTH_MAX_FAILURES = 10
AUTH_FAILURE_WINDOW = 300
#: Live dashboard sessions: bridge:dashboard:session:<sha256 of the session id>; logout
#: deletes the key, so a copied cookie stops working at once.
DASHBOARD_SESSION = KEY_PREFIX + "dashboard:session:"
