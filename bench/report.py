"""What a bench run prints and writes: the table of medians and ratios, its JSON, a chart of
the ratios, and the section of docs/performance.md that keeps the latest table.

A row's ratio is dockyard's median over docker's (for requests/s too: there, higher is
better and the target is a minimum). Without docker the docker and ratio columns say so.
"""

from __future__ import annotations

import json
import os
import platform
import re
from dataclasses import dataclass
from pathlib import Path

from bench.scenarios import Samples

DOCS_BEGIN = "<!-- bench:begin (bench/run.py rewrites this section) -->"
DOCS_END = "<!-- bench:end -->"


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    unit: str
    dockyard: float | None
    docker: float | None
    target: str
    limit: float
    higher_is_better: bool

    @property
    def ratio(self) -> float | None:
        if self.dockyard is None or not self.docker:
            return None
        return self.dockyard / self.docker

    @property
    def met(self) -> bool | None:
        ratio = self.ratio
        if ratio is None:
            return None
        return ratio >= self.limit if self.higher_is_better else ratio <= self.limit


def rows(results: list[Samples]) -> list[Row]:
    return [
        Row(
            s.scenario.key,
            s.scenario.title,
            s.scenario.unit,
            s.median("dockyard"),
            s.median("docker"),
            s.scenario.target,
            s.scenario.limit,
            s.scenario.higher_is_better,
        )
        for s in results
    ]


def value(number: float | None, unit: str) -> str:
    if number is None:
        return "–"
    if unit == "s":
        return f"{number * 1000:.0f} ms" if number < 1 else f"{number:.2f} s"
    if unit == "req/s":
        return f"{number:.0f} req/s"
    return f"{number:.1f} {unit}"


def markdown(table: list[Row], meta: dict[str, str]) -> str:
    lines = [
        f"Measured {meta['date']} on {meta['machine']}; dockyard {meta['dockyard']}, "
        f"docker {meta['docker']}; medians of {meta['reps']} interleaved repetitions.",
        "",
        "| scenario | dockyard | docker | ratio | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in table:
        ratio = "–" if row.ratio is None else f"{row.ratio:.2f}"
        mark = {True: " ✓", False: " ✗", None: ""}[row.met]
        lines.append(
            f"| {row.title} | {value(row.dockyard, row.unit)} | {value(row.docker, row.unit)} "
            f"| {ratio}{mark} | {row.target} |"
        )
    return "\n".join(lines) + "\n"


def as_json(results: list[Samples], meta: dict[str, str]) -> str:
    doc = {
        "meta": meta,
        "scenarios": {
            s.scenario.key: {"unit": s.scenario.unit, "samples": s.by_engine} for s in results
        },
    }
    return json.dumps(doc, indent=2) + "\n"


def chart(table: list[Row], path: Path) -> bool:
    """A bar per scenario: its ratio, with its target marked. False without matplotlib, or
    without a ratio to show (no docker)."""
    shown = [row for row in table if row.ratio is not None]
    if not shown:
        return False
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots(figsize=(10, 0.45 * len(shown) + 1.5))
    names = [row.key for row in shown]
    colours = ["tab:green" if row.met else "tab:red" for row in shown]
    axes.barh(names, [row.ratio or 0 for row in shown], color=colours)
    axes.scatter([row.limit for row in shown], names, marker="|", s=400, color="black")
    axes.axvline(1.0, color="grey", linewidth=0.8)
    axes.invert_yaxis()
    axes.set_xlabel("dockyard / docker (bar); target (black mark)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def update_docs(path: Path, table_markdown: str, rerun: str) -> None:
    """Replace the bench section of docs/performance.md (appended the first time)."""
    section = f"{DOCS_BEGIN}\n{table_markdown}\nRe-run: `{rerun}`.\n{DOCS_END}"
    text = path.read_text() if path.exists() else "# Performance\n"
    pattern = re.compile(re.escape(DOCS_BEGIN) + ".*?" + re.escape(DOCS_END), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Linux {platform.release()}"
