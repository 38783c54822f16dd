"""The no-code rule builder's room: catalogue, samples, templates, rule <-> form, files.

The admin API (`bridge/admin/`) and the dashboard are thin callers of these modules, which
build on the rules engine's public functions (`bridge.rules`) and never on its internals.
"""
