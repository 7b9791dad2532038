"""Maps the repository's source trees into the one installed `dockyard` namespace.

protos/dockyard -> dockyard, services -> dockyard.services, shim -> dockyard.shim,
cli -> dockyard.cli. Everything else (metadata, dependencies) is in pyproject.toml.
"""

from setuptools import find_packages, setup

TREES = {
    "dockyard": "protos/dockyard",
    "dockyard.services": "services",
    "dockyard.shim": "shim",
    "dockyard.cli": "cli",
}


def _packages() -> tuple[list[str], dict[str, str]]:
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    for name, where in TREES.items():
        package_dir[name] = where
        packages.append(name)
        packages += [f"{name}.{sub}" for sub in find_packages(where=where)]
    return packages, package_dir


packages, package_dir = _packages()
setup(
    packages=packages,
    package_dir=package_dir,
    # launcher.c: entrypoint.py builds it into the `dockyard` command at install time
    package_data={"dockyard": ["**/*.pyi", "py.typed"], "dockyard.cli": ["launcher.c"]},
)
