"""Named volumes and a container's files, served by the snapshots process (dockyard.volumes.v1).

    local.py     docker's local driver: names, options, the mount a container gets
    store.py     records (SQLite) and data directories, crash-safe; disk usage
    mounts.py    which containers mount a volume; a device mounted on its data directory
    views.py     a fresh thread whose `/` is a container's filesystem (entered or assembled)
    entries.py   files as tar entries: read without following, made relative to fds
    archive.py   docker's cp semantics: stat and archive (tar out)
    untar.py     extraction into a container's directory (tar in)
    copyup.py    the filling of an empty volume from the image
    transfer.py  the async side: tars streamed through pipes to and from a view's thread
    server.py    the gRPC adapter

The snapshots process owns the disk data: the layers a container's files come from and the
volumes' data, so `system df` asks one process about both and no process is added (idle memory
is a headline figure).
"""
