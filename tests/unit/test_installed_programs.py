"""Every program the engine or the tests run comes from `deploy/install.sh`.

A suite that passed on a developer's machine once failed on a new one because `iptables`,
`runc` and `crun` had come with `docker.io`, which a new machine does not have. This test reads
the code (not a list kept by hand): every literal program name handed to `subprocess`,
`asyncio.create_subprocess_exec`, `os.exec*` or `shutil.which` in the engine, the shim, the CLI,
and the tests is resolved to the Debian package that ships it (`dpkg -S`), and
that package must be one `deploy/install.sh` installs, or an Essential package every Debian
system has (coreutils, util-linux, ...); or the program is one install.sh places itself
(FETCHED_PROGRAMS: the docker client alone, without its engine).
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TREES = ("services", "shim", "cli", "protos/dockyard/api", "tests")
RUNNERS = {"run", "Popen", "check_output", "check_call", "call", "create_subprocess_exec"}
EXECS = {"execv", "execve", "execvp", "execvpe", "execl", "execlp"}
OURS = "dockyard"  # the project's own commands: install.sh installs them itself
MODULES = {"subprocess", "asyncio", "os", "shutil"}
INTERPRETERS = {"sys.executable"}  # the venv's own python: installed by install.sh itself


def _constant_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [s for e in node.elts if (s := _constant_str(e))]
    return []


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _name_choices(scope: ast.AST, name: str) -> list[str]:
    """The literal values `name` can take in `scope`: `for name in ("a", "b")`, `name in (...)`."""
    found: list[str] = []
    for node in ast.walk(scope):
        if isinstance(node, ast.For | ast.comprehension) and _is_name(node.target, name):
            found += _strings(node.iter)
        elif isinstance(node, ast.Compare) and _is_name(node.left, name):
            found += _strings(node.comparators[0]) if isinstance(node.ops[0], ast.In) else []
    return found


def _module_paths(tree: ast.Module) -> dict[str, str]:
    """Module-level `NAME = Path("/x")` or `NAME = "/x"`: programs named by a constant."""
    paths = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if isinstance(value, ast.Call) and value.args:
                value = value.args[0]
            if isinstance(target, ast.Name) and (text := _constant_str(value)):
                paths[target.id] = text
    return paths


def _program(node: ast.AST, paths: dict[str, str]) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str":
        node = node.args[0] if node.args else node
    if isinstance(node, ast.Name):
        return paths.get(node.id)
    return _constant_str(node)


def _called(call: ast.Call) -> str:
    """`run` for `subprocess.run(...)`: only calls on the modules that start programs count."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.attr if func.value.id in MODULES else ""
    return ""


def programs_in(path: Path) -> Iterator[tuple[str, int]]:
    """(program, line) for every program `path` runs or looks up by a literal name."""
    tree = ast.parse(path.read_text(), str(path))
    paths = _module_paths(tree)
    scopes: list[ast.AST] = [tree]
    scopes += [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for scope in scopes:
        for call in ast.walk(scope):
            if not isinstance(call, ast.Call) or not call.args:
                continue
            name, first = _called(call), call.args[0]
            if name == "which" and isinstance(first, ast.Name) and scope is not tree:
                for choice in _name_choices(scope, first.id):
                    yield choice, call.lineno
                continue
            if name in RUNNERS and isinstance(first, ast.List | ast.Tuple) and first.elts:
                first = first.elts[0]
            elif name not in RUNNERS | EXECS | {"which"}:
                continue
            program = _program(first, paths)
            if program and ast.unparse(first) not in INTERPRETERS:
                yield program, call.lineno


def used_programs() -> dict[str, str]:
    """Every program the code runs → where (the first place found)."""
    used: dict[str, str] = {}
    for tree in TREES:
        for path in sorted((ROOT / tree).rglob("*.py")):
            if path.name.endswith(("_pb2.py", "_pb2_grpc.py")):
                continue
            for program, line in programs_in(path):
                if not program or program.startswith(OURS):
                    continue
                used.setdefault(program, f"{path.relative_to(ROOT)}:{line}")
    return used


def fetched_programs() -> set[str]:
    """Programs deploy/install.sh places itself (its FETCHED_PROGRAMS="...")."""
    script = (ROOT / "deploy/install.sh").read_text()
    found = re.search(r'^FETCHED_PROGRAMS="([^"]*)"', script, re.MULTILINE)
    return set(found.group(1).split()) if found else set()


def installed_packages() -> set[str]:
    """The package names deploy/install.sh installs (its *PACKAGES="..." lists)."""
    script = (ROOT / "deploy/install.sh").read_text()
    lists = re.findall(r'^[A-Z_]*PACKAGES="([^"]*)"', script, re.MULTILINE)
    return {name for words in lists for name in words.split()}


@cache
def essential_packages() -> frozenset[str]:
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${Essential}\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return frozenset(line.split()[0] for line in out.splitlines() if line.endswith(" yes"))


def package_of(program: str) -> str | None:
    """The Debian package that ships `program` (a name on PATH or an absolute path)."""
    found = program if program.startswith("/") else shutil.which(program)
    if found is None:
        return None
    candidates = {found, str(Path(found).resolve())}
    for path in list(candidates):  # merged /usr: dpkg may know /bin/x or /usr/bin/x
        candidates.add(path.removeprefix("/usr") if path.startswith("/usr/") else "/usr" + path)
    for path in sorted(candidates):
        result = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True, check=False)
        if result.returncode == 0:
            return result.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def test_the_scan_finds_the_programs_it_must() -> None:
    """The scanner itself: it sees literal argv lists, `which` over a tuple, constant paths."""
    used = used_programs()
    for program in ("nft", "iptables", "runc", "crun", "ps", "/usr/bin/docker-registry"):
        assert program in used, f"the scan missed {program}"
    assert not any(p.startswith(("-", "{")) for p in used), used


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="not a Debian system")
def test_every_program_run_comes_from_install_sh() -> None:
    wanted = installed_packages()
    problems = []
    for program, where in sorted(used_programs().items()):
        if program in fetched_programs():
            if shutil.which(program) is None:
                problems.append(f"{program} ({where}) is not installed: run deploy/install.sh")
            continue
        package = package_of(program)
        if package is None:
            problems.append(f"{program} ({where}) is not installed here: which package ships it?")
        elif package not in wanted and package not in essential_packages():
            problems.append(f"{program} ({where}) comes from {package}, not in deploy/install.sh")
    assert not problems, "\n".join(problems)
