"""The dashboard: server-rendered pages (Starlette + Jinja2) over the admin data.

Mount it with `dashboard_routes(settings)` (see `bridge.dashboard.views`).
"""
