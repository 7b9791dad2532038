"""`dockyard daemon`: supervises the five service processes of one engine."""
