"""The workspace gate: the filter between the hub's proxy and every workspace container.

Everything inside a workspace container is the analyst's, including the Jupyter server on
port 8888, so what a browser may get from a workspace is decided here, in the control plane:
the spawner hands the hub the gate's address as every server's URL, and the gate relays each
request to the container that serves its `/user/<name>/<project>/` prefix, within these rules
(the file kinds, caps and rates are `tre.workspace.transfer`'s):

- only the routes JupyterLab needs to edit and run notebooks and code, nothing else;
- JupyterLab's own files only as the image holds them (hash-checked);
- file content only of notebooks and code or text files, each within its cap, either way;
- kernel messages each within a size cap, output paced to a rate after a burst; all other
  traffic paced likewise;
- every refusal, every file content read or upload over 64 KiB, and every busy kernel
  channel written to the audit log (user, project, path, size; never content).

Modules: `app` (HTTP handling), `routes` (the allow-list), `contents` (file rules on the
bytes), `relay` (websockets), `statics` (the image's files), `upstream` (finding the
container), `meters`, `wire` (headers, bodies), `refusals` and `usage` (messages, records),
`server` (assembly).

Run by the hub as a managed service: `python -m tre.workspace.gate --port P --network N`
(`server.main`; `server.create_app` for tests and the benchmark).
"""
