"""The journal of calls the fakes keep, and the failures a test plans for them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Faults:
    """Planned failures and the journal of calls of one or more fakes."""

    calls: list[tuple[str, str]] = field(default_factory=list)  # (service.op, key)
    _planned: dict[str, list[BaseException]] = field(default_factory=dict)

    def fail(self, op: str, error: BaseException, times: int = 1) -> None:
        """The next `times` calls of `op` ("tasks.create", "network.create_sandbox") raise."""
        self._planned.setdefault(op, []).extend([error] * times)

    def clear(self) -> None:
        self._planned.clear()

    def enter(self, op: str, key: str = "") -> None:
        """Record a call of `op`; raise the failure planned for it, if any."""
        self.calls.append((op, key))
        planned = self._planned.get(op)
        if planned:
            raise planned.pop(0)

    def ops(self) -> list[str]:
        """The operations called so far, in order."""
        return [op for op, _ in self.calls]
