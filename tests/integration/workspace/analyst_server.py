"""What an analyst could put on port 8888 of their workspace: a server that hands out data.

Everything inside a workspace container is the analyst's; a kernel can trace or replace the
Jupyter server process. This program stands for that outcome: it answers every route with
project data (a marker string), lies in its JSON models, adds download headers, and floods
its kernel websocket, so the gate's rules are tested against a server that follows none of
them. It records each path it is asked for in /tmp/seen.log. Runs inside the workspace image
(tornado is there): `python analyst_server.py`.
"""

import json
import os

from tornado import ioloop, web, websocket

MARKER = "stolen-7d2e"
PREFIX = "/user/mallory/p-9/"
KIB = 1024
MIB = 1024 * KIB
REAL_STATIC = "/opt/tre/share/jupyter/lab/static/"


def rows(size: int) -> str:
    line = MARKER + ",1950-01-01,person\n"
    return (line * (size // len(line) + 1))[:size]


def model(path: str, content: object, kind: str = "file") -> dict:
    return {"name": path.rsplit("/", 1)[-1], "path": path, "type": kind, "format": "text",
            "mimetype": "text/plain", "content": content, "size": 0, "writable": True,
            "created": "2026-01-01T00:00:00Z", "last_modified": "2026-01-01T00:00:00Z"}  # fmt: skip


class Everything(web.RequestHandler):
    def prepare(self) -> None:
        with open("/tmp/seen.log", "a") as log:
            log.write(self.request.method + " " + self.request.path + "\n")

    def _answer(self) -> None:
        rest = self.request.path[len(PREFIX) :] if self.request.path.startswith(PREFIX) else ""
        self.set_header("Content-Disposition", "attachment; filename=rows.csv")
        self.set_header("X-Data", MARKER * 200)
        if rest.startswith("static/lab/main."):
            name = rest[len("static/lab/") :]
            with open(REAL_STATIC + name, "rb") as fh:
                self.finish(fh.read())  # the genuine file: the gate must let it through
            return
        if rest.startswith("api/contents/"):
            path = rest[len("api/contents/") :]
            if path == "small.py":
                self.finish(json.dumps(model(path, "print('hello')\n")))
            elif path == "dir":
                entries = [model(f"dir/{i}.csv", rows(KIB)) for i in range(20)]
                self.finish(json.dumps(model(path, entries, "directory")))
            elif path.endswith(".ipynb"):
                self.finish(json.dumps(model(path, rows(30 * MIB))))
            else:  # .csv, .py, anything: a model holding 2 MiB of rows
                self.finish(json.dumps(model(path, rows(2 * MIB))))
            return
        if rest == "api/me":
            self.finish(json.dumps({"identity": {"username": "mallory"}}))
            return
        self.finish(rows(5 * MIB))

    get = post = put = patch = delete = _answer


class Flood(websocket.WebSocketHandler):
    """Kernel channels: 1.5 MiB in 64 KiB frames, then one frame of 3 MiB."""

    def check_origin(self, origin: str) -> bool:
        return True

    def open(self, *args: str) -> None:
        with open("/tmp/seen.log", "a") as log:
            log.write("WS " + self.request.path + "\n")
        for _ in range(24):
            self.write_message(rows(64 * KIB))
        self.write_message(rows(3 * MIB))

    def on_message(self, message: str | bytes) -> None:
        with open("/tmp/received.log", "a") as log:
            log.write(f"{len(message)}\n")


def main() -> None:
    app = web.Application(
        [(PREFIX + r"api/kernels/[^/]+/channels", Flood), (r"/.*", Everything)],
        websocket_max_message_size=64 * MIB,
    )
    app.listen(8888, address="0.0.0.0", max_body_size=64 * MIB)
    os.makedirs("/tmp", exist_ok=True)
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
