"""The poller: every new, changed and deleted Perfex record becomes exactly one event.

`PollerService` runs one loop per resource (creations every poll interval, updates and
deletions on the slower reconcile interval), each under a Redis lock so that one replica
polls a resource while the others stand by. `workers.poller.run_poller` is the process.
"""
