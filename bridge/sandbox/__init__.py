"""The Perfex API sandbox: a stand-in for the Perfex CRM REST API module.

`bridge.sandbox.app.create_app` builds the Starlette app (tests, the demo);
`bridge.sandbox.server.run` serves it with uvicorn (`bridge sandbox`).

Where the reference is silent the sandbox chooses, and says so here:

- 401 bodies: `{"status": false, "message": "Token is not defined."}` without a token,
  `{"status": false, "message": "Invalid Token"}` with a wrong one. Every endpoint reads
  the `authtoken` header; the zapier ones also take `Authorization: Bearer` and
  `?authtoken=`.
- Validation failures answer 404 `{"status": false, "error": {field: text}, "message":
  "<p>text</p>\\n..."}` (CodeIgniter's error_array() and validation_errors()).
- A path no controller serves answers CodeIgniter's HTML "404 Page Not Found" page, so
  a missing route is told apart from Perfex's JSON "No data were found".
- Deletes are served at both `/api/delete/<res>/<id>` and `/api/<res>/<id>`, and every
  resource has a list at `GET /api/<res>` (an empty one answers 404 No data were found).
- The server's PHP timezone is UTC unless the control API sets another.
- The control API, faults and call log are described in `control` and `faults`.
"""
