"""The bench's pairing and report logic, and its docker side's command lines, without engines.

A fake `docker` here is a shell script that records how it was called: it only checks what
the bench would ask of the real one (it never produces a figure).
"""

from __future__ import annotations

import os
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from bench import report, run
from bench.engines import Docker, Side, docker_installed, dockerd_argv, free_subnet
from bench.scenarios import Group, Samples, Scenario, alternate, run_group


def scenario(key: str = "s", measure: object = None, **kw: object) -> Scenario:
    return Scenario(key, f"title {key}", "s", "≤ 1.0", 1.0, measure or (lambda side: 1.0), **kw)  # type: ignore[arg-type]


def test_samples_alternate_pair_by_pair() -> None:
    calls: list[str] = []
    sides = [Side("dockyard", []), Side("docker", [])]
    samples = alternate(sides, scenario(measure=lambda side: calls.append(side.name) or 1.0), 3)
    assert calls == ["dockyard", "docker", "docker", "dockyard", "dockyard", "docker"]
    assert samples.by_engine == {"dockyard": [1.0] * 3, "docker": [1.0] * 3}


def test_a_groups_set_up_is_undone_on_every_side_even_when_a_measure_fails() -> None:
    done: list[str] = []

    def fails(side: Side) -> float:
        raise RuntimeError("the engine broke")

    group = Group(
        (scenario("a", fails),),
        prepare=lambda side: done.append(f"prepare {side.name}"),
        clean=lambda side: done.append(f"clean {side.name}"),
    )
    with pytest.raises(RuntimeError):
        run_group([Side("dockyard", []), Side("docker", [])], group, 2, 1, lambda key: True)
    assert done == ["prepare dockyard", "prepare docker", "clean dockyard", "clean docker"]


def test_unwanted_scenarios_are_not_set_up() -> None:
    group = Group((scenario("a"),), prepare=lambda side: pytest.fail("prepared"))
    assert run_group([Side("dockyard", [])], group, 1, 1, lambda key: key == "b") == []


def results(docker: list[float] | None) -> list[Samples]:
    runs = Samples(scenario("run_rm"), {"dockyard": [0.2, 0.3, 0.25]})
    rps = Samples(
        Scenario("rps", "requests/s", "req/s", "≥ 1.3", 1.3, lambda s: 0.0, higher_is_better=True),
        {"dockyard": [3000.0]},
    )
    if docker is not None:
        runs.by_engine["docker"] = docker
        rps.by_engine["docker"] = [2000.0]
    return [runs, rps]


META = {"date": "d", "machine": "m", "dockyard": "c", "docker": "20.10", "reps": "3"}


def test_ratios_are_dockyards_median_over_dockers_against_the_target() -> None:
    run, rps = report.rows(results([0.5, 0.4, 0.6]))
    assert run.ratio == pytest.approx(0.5) and run.met is True
    assert rps.ratio == pytest.approx(1.5) and rps.met is True
    text = report.markdown([run, rps], META)
    assert "| title run_rm | 250 ms | 500 ms | 0.50 ✓ | ≤ 1.0 |" in text
    assert "| requests/s | 3000 req/s | 2000 req/s | 1.50 ✓ | ≥ 1.3 |" in text


def test_without_docker_the_table_has_dockyards_figures_only(tmp_path: Path) -> None:
    table = report.rows(results(None))
    assert "| title run_rm | 250 ms | – | – | ≤ 1.0 |" in report.markdown(table, META)
    assert report.chart(table, tmp_path / "ratios.png") is False


def test_the_chart_is_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    assert report.chart(report.rows(results([0.5])), tmp_path / "ratios.png")
    assert (tmp_path / "ratios.png").read_bytes().startswith(b"\x89PNG")


def test_the_docs_section_is_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    docs = tmp_path / "performance.md"
    docs.write_text("# Performance\n\n## The CLI\n\nkept\n")
    report.update_docs(docs, "| first |\n", "make bench")
    report.update_docs(docs, "| second |\n", "make bench")
    text = docs.read_text()
    assert "kept" in text and "| second |" in text and "| first |" not in text
    assert text.count(report.DOCS_BEGIN) == 1


def fake(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def test_docker_is_used_only_when_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not docker_installed()
    fake(tmp_path, "docker", "exit 0")
    fake(tmp_path, "dockerd", "exit 0")
    assert docker_installed()


def test_the_docker_side_drives_its_own_daemon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake(tmp_path, "docker", 'echo "$DOCKER_HOST $*"')
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    side = Docker("docker", ["docker"], {"DOCKER_HOST": "unix:///b/docker.sock"})
    assert (
        side.cli("run", "--rm", "busybox", "true")
        == "unix:///b/docker.sock run --rm busybox true\n"
    )
    argv = dockerd_argv(tmp_path, Path("/run/dyb-1"), tmp_path / "docker.sock", "dyb1")
    assert argv[0] == "dockerd"
    for flag in (
        f"--data-root={tmp_path / 'data'}",
        "--exec-root=/run/dyb-1",
        f"--pidfile={tmp_path / 'docker.pid'}",
        f"--host=unix://{tmp_path / 'docker.sock'}",
        "--bridge=dyb1",
        "--cgroup-parent=/dyb1",
        "--iptables=false",
        "--ip-forward=false",
    ):
        assert flag in argv


def test_the_docker_bridge_takes_a_subnet_no_route_covers() -> None:
    """On a shared host another interface may route the pool's first /24 already; a bridge on
    it would be unreachable from the host (docker's proxy could not reach its containers)."""
    pool = IPv4Network("10.181.0.0/16")
    assert free_subnet(pool, []) == IPv4Network("10.181.0.0/24")
    taken = [IPv4Network("10.181.0.0/24"), IPv4Network("10.181.1.0/24")]
    assert free_subnet(pool, taken) == IPv4Network("10.181.2.0/24")
    with pytest.raises(RuntimeError):
        free_subnet(pool, [IPv4Network("10.0.0.0/8")])


def test_the_table_says_which_client_it_measured(tmp_path: Path) -> None:
    elf, script = tmp_path / "elf", tmp_path / "script"
    elf.write_bytes(b"\x7fELF\x02\x01\x01")
    script.write_text("#!/usr/bin/python3 -IS\n")
    assert run.client_kind(str(elf)) == "C client"
    assert run.client_kind(str(script)) == "Python client"
    assert run.client_kind(str(tmp_path / "none")) == "client not found"
