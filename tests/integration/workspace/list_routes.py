"""Print every route of the workspace image's single-user server, one JSON line each.

Run inside the image (`python - < list_routes.py`) with the environment a workspace gets: it
builds the server as `jupyterhub-singleuser` would, without starting it, and walks the web
application's routers. Prints {"pattern": <regex below the server prefix>, "handler": ...}.
"""

import json
import os

PREFIX = "/user/a/p/"
for name, value in {
    "JUPYTERHUB_API_TOKEN": "unused",
    "JUPYTERHUB_API_URL": "http://127.0.0.1:1/hub/api",
    "JUPYTERHUB_BASE_URL": "/",
    "JUPYTERHUB_SERVICE_PREFIX": PREFIX,
    "JUPYTERHUB_USER": "a",
    "JUPYTERHUB_CLIENT_ID": "jupyterhub-user-a-p",
    "JUPYTERHUB_OAUTH_CALLBACK_URL": PREFIX + "oauth_callback",
    "JUPYTERHUB_SERVICE_URL": "http://127.0.0.1:0" + PREFIX,  # any free port
}.items():
    os.environ[name] = value  # a server of its own, whatever the caller runs in

from jupyterhub.singleuser.app import SingleUserNotebookApp  # noqa: E402

app = SingleUserNotebookApp.instance()
app.initialize(argv=[])
seen = set()


def walk(router):
    for rule in router.rules:
        target = rule.target
        if hasattr(target, "rules"):
            walk(target)
            continue
        regex = getattr(rule.matcher, "regex", None)
        if regex is None:
            continue
        pattern = regex.pattern.removesuffix("$")
        pattern = pattern[len(PREFIX) :] if pattern.startswith(PREFIX) else pattern
        handler = f"{target.__module__}.{target.__name__}"
        if (pattern, handler) not in seen:
            seen.add((pattern, handler))
            print(json.dumps({"pattern": pattern, "handler": handler}))


walk(app.web_app.default_router)
