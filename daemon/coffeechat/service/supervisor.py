"""Keep the daemon's tasks alive: restart a crashed task with backoff, never take the process down.

Each task is a coroutine factory. When one raises, the supervisor records the failure in
``ComponentHealth`` (so the digest and ``coffeechat status`` show it), waits a backoff that
grows with consecutive failures, and starts it again. ``CancelledError`` always goes through:
that is how shutdown stops everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog

from coffeechat import retry
from coffeechat.clock import Clock
from coffeechat.store.db import Store
from coffeechat.store.models import ComponentHealth

log = structlog.get_logger(__name__)

TaskFactory = Callable[[], Awaitable[None]]


def backoff_seconds(
    failures: int, *, base: float = 1.0, cap: float = 300.0, rng: random.Random | None = None
) -> float:
    """Seconds before restarting a task after ``failures`` crashes in a row (0: at once)."""
    if failures <= 0:
        return 0.0
    return retry.backoff_seconds(failures, (rng or random).random(), base=base, cap=cap)


def record_health(
    store: Store, account_id: int, component: str, clock: Clock, error: str | None
) -> None:
    """Mark a component ok (error None) or failing since the first failure."""
    now = clock.now()
    with store.session() as s:
        row = s.query(ComponentHealth).filter_by(account_id=account_id, component=component).first()
        if row is None:
            row = ComponentHealth(account_id=account_id, component=component)
            s.add(row)
        if error is None:
            row.last_ok_at = now
            row.failing_since = None
            row.last_error = ""
        else:
            if row.failing_since is None:
                row.failing_since = now
            row.last_error = error[:1000]


@dataclass
class Supervisor:
    store: Store
    account_id: int
    clock: Clock
    stop: asyncio.Event
    tasks: dict[str, TaskFactory] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    base_backoff: float = 1.0

    def add(self, name: str, factory: TaskFactory) -> None:
        self.tasks[name] = factory

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for name, factory in self.tasks.items():
                group.create_task(self._keep_alive(name, factory), name=name)

    async def _keep_alive(self, name: str, factory: TaskFactory) -> None:
        while not self.stop.is_set():
            try:
                await factory()
                if self.stop.is_set():
                    return
                self.failures[name] = 0  # a task that returned normally is restarted at once
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failures[name] = self.failures.get(name, 0) + 1
                delay = backoff_seconds(self.failures[name], base=self.base_backoff)
                log.error(
                    "task.crashed",
                    task=name,
                    error=f"{type(exc).__name__}: {exc}",
                    failures=self.failures[name],
                    restart_in_s=round(delay, 2),
                )
                try:
                    await asyncio.to_thread(
                        record_health,
                        self.store,
                        self.account_id,
                        name,
                        self.clock,
                        f"{type(exc).__name__}: {exc}",
                    )
                except Exception as health_exc:  # the store itself may be what failed
                    log.error("health.unrecorded", task=name, error=str(health_exc))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), timeout=delay)
