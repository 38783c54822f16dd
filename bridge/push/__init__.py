"""Perfex push: the API module's webhooks, received at a `verify: perfex` hook.

`signature` checks `X-Perfex-Signature`, `mapping` turns module event names into the
bridge's event types, `ingest` completes a thin delivery with a GET of the record and
stores it with the same event id the poller would give the same change, `admit` makes
that GET take the shared Perfex limit the workers use.
"""
