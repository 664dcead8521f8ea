"""The HTTP plumbing under every face: nothing here knows a case, a task or a page.

- middleware: the user's chosen language, the idle session renewed at most once a minute, and
  the one rule of a session's lifetime (the pages, the keep-alive and the websocket obey it)
- addresses: the client's address behind CASEWORK_TRUSTED_PROXIES (throttles, the login lock-out,
  the public form's limit, the logs) and a limit per address
- serverlog: the server's access log, written by the application (ASGI middleware, bin/serve)
- redaction: the logging filter that keeps personal data and secret paths out of every log line
- parsers: the API's JSON parser, refusing bodies nested too deeply
- cookies: the signed-in marker (set at any sign-in, so the login page knows a session expired)
- queries: the list pages' query strings (pager, sort and export links keep the filters)
- files: a case document as a private, uncached download (the pages and the API alike)

The faces (casework.web, casework.api, workflows.web, sso.views, ...) never import each other:
what two of them share lives here or further down.
"""
