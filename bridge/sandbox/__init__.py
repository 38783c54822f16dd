"""The Perfex API sandbox: an in-process stand-in for the Perfex CRM REST API module.

`bridge.sandbox.app.create_app` builds the Starlette app; `bridge.sandbox.server.run`
serves it with uvicorn for `bridge sandbox` and `bridge demo`.
"""
