"""The Docker Engine API front: docker's REST API on `docker.sock`, translated to the engine's
gRPC API, so the docker CLI, docker-py and docker-compose drive Dockyard.

It is a client of the engine like the `dockyard` CLI: every request becomes engine calls and
their replies become docker's JSON; it keeps no state of its own but exec configs (docker's
exec create/start/inspect split, which the engine's one Exec stream does not have).

    server.py     the process: socket (0660), optional TCP listener with client-certificate TLS
    router.py     every path with or without a /v1.NN prefix → a handler
    replies.py    JSON replies, errors as {"message": …} with docker's status codes, streams
    params.py     query parameters, filters (both encodings), typed reads of JSON bodies
    hijack.py     attach/exec connections taken over after `101 UPGRADED`; stream framing
    session.py    one attached session: client bytes ⇄ the engine's stream; live terminals
    engine.py     the engine's stubs on one channel
    system.py     _ping, version, info, events, df
    containers.py create … prune, changes; create_body.py their JSON (inspect and list entries:
                  dockyard.api.containerjson, shared with the CLI);
                  streams.py attach, resize, logs, stats; archives.py docker cp
    execs.py      exec create/start/inspect/resize
    images.py     pull, import, list, inspect, history, tag, remove, prune
    transfers.py  push, login (/auth)
    builds.py     build (the classic builder's wire), commit
    networks.py   networks; volumes.py volumes
"""
