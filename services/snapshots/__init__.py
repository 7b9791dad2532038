"""The snapshots service: an overlayfs snapshotter and layer application."""
