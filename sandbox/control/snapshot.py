"""`GET /_sandbox/snapshot` downloads the namespace's whole state as one file; `PUT` restores one.

To share a state with a colleague, or to start a demo from a prepared one: the file is what
`--state-dir` stores for a namespace (`persist.py`: format, version, then the state), and may be
restored into any namespace, the one it came from or another (its seed, clock and RNG come with
it, so the ids it makes next are those the original would have made). A PUT snapshot is
untrusted input: one from another version, damaged or not made by the sandbox answers 400 with
the reason, and the namespace keeps its state. Up to 256 MiB (a state of 100,000 sessions is
well under that).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from sandbox import pipeline
from sandbox.clock import iso
from sandbox.control._http import error, json_response, sandbox_of
from sandbox.namespaces import DEFAULT, PREFIX

LIMIT = 256 * 2**20


def _namespace(request: Request) -> str:
    root: str = request.scope.get("app_root_path", "")  # the root path before /_sandbox: /ns/{name}
    head, found, name = root.rpartition(PREFIX)
    return name if found and "/" not in name else DEFAULT


# persist.py (with the pickler and every dataclass codec) is imported by the two handlers, not
# here: a snapshot is rare, and its import would be startup time of every server.


async def download(request: Request) -> Response:
    from sandbox import persist

    name = _namespace(request)
    blob = persist.encode(sandbox_of(request), name)
    disposition = f'attachment; filename="sandbox-{name}.state"'
    return Response(blob, 200, media_type="application/octet-stream", headers={"Content-Disposition": disposition})


async def restore(request: Request) -> Response:
    from sandbox import persist

    sandbox = sandbox_of(request)
    blob = await pipeline.read_body(request, LIMIT)  # over: 413 (app.py)
    try:
        source = persist.header(blob).get("namespace")
        restored = persist.decode(blob, sandbox.settings, sandbox.providers, sandbox.dispatcher.courier)
    except persist.SnapshotError as problem:
        return error(400, "invalid_snapshot", str(problem))
    persist.restore_into(sandbox, restored)
    return json_response(
        {
            "namespace": _namespace(request),
            "from_namespace": source,
            "sessions": sandbox.store.count(),
            "seed": sandbox.entropy.seed,
            "clock": iso(sandbox.clock.now()),
            "scenario": sandbox.scenario.name,
        }
    )
