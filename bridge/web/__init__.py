"""The web part: POST /hooks/{name}, /healthz, /readyz, /metrics; `create_app` builds it.

See `bridge.web.app` for how the admin API and the dashboard are added to the app.
"""
