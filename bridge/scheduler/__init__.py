"""Schedules: `on: schedule` rules fire a `schedule.<rule>` event once per tick.

`spec.py` parses and evaluates a rule's `schedule:` (cron through `cronsim`, or `every`);
`service.py` is the loop that fires the ticks (in `bridge up` and `bridge poller`).
"""
