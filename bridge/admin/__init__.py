"""The admin JSON API under /api/: what the bridge did, and the buttons to fix what failed.

Mount it with `admin_routes(settings)` (see `bridge.admin.api`).
"""
