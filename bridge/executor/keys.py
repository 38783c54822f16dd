"""Redis key names the executor writes, beside the shared ones in `bridge.constants`."""

from __future__ import annotations

from bridge.constants import KEY_PREFIX

#: JSON of one run (an event through one rule): bridge:run:<run id>.
RUN = KEY_PREFIX + "run:"
#: Every attempt of a run's steps, a list of JSON documents: bridge:run:<run id>:attempts.
RUN_ATTEMPTS_SUFFIX = ":attempts"
#: Sorted sets of run ids (score = unix seconds of the last change).
RUNS_ALL = KEY_PREFIX + "runs:all"
RUNS_BY_STATUS = KEY_PREFIX + "runs:status:"
RUNS_BY_RULE = KEY_PREFIX + "runs:rule:"
RUNS_BY_TYPE = KEY_PREFIX + "runs:type:"
RUNS_BY_EVENT = KEY_PREFIX + "runs:event:"
#: Counter of replays per event, for replay run ids: bridge:replays:<event id>.
REPLAYS = KEY_PREFIX + "replays:"

#: The router's consumer group on `constants.EVENT_STREAM`.
ROUTER_GROUP = "router"

#: Limits: lease sets (semaphores), token buckets and circuit breakers.
SEMAPHORE = KEY_PREFIX + "limit:sem:"
BUCKET = KEY_PREFIX + "limit:rate:"
BREAKER = KEY_PREFIX + "breaker:"

#: arq's own key prefixes (arq.constants), used to enqueue in one transaction with a run.
ARQ_JOB = "arq:job:"
