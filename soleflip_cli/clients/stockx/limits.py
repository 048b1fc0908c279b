"""Pacing for StockX: one limiter (requests per second + daily budget reset at 00:00 UTC) and backoff."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Protocol

from soleflip_cli.errors import ApiError


class Clock(Protocol):
    """Wall time, a monotonic counter and sleep: injected so tests never really sleep."""

    def now(self) -> datetime:
        """The current time, UTC-aware."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for `seconds`."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """`datetime.now(UTC)`."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """`time.monotonic()`."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """`time.sleep()`."""
        if seconds > 0:
            time.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: exponential backoff with jitter, capped per wait and in total attempts."""

    max_retries: int = 5
    base_s: float = 1.0
    cap_s: float = 60.0
    # A Retry-After longer than this is not waited out: the run stops with a clear error instead.
    max_wait_s: float = 300.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before retry number `attempt` (0-based): base*2^attempt, jittered 50-100 %."""
        return float(min(self.cap_s, self.base_s * 2**attempt) * (0.5 + rng.random() / 2))


def retry_after_seconds(header: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not header:
        return None
    text = header.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class RateLimiter:
    """Spaces request starts by 1/requests_per_second and counts them against a daily budget.

    The budget day starts at 00:00 UTC. With a `state_file` the count and the last request time
    survive between runs, so back-to-back cron runs share one budget and one pace.
    """

    def __init__(
        self,
        *,
        requests_per_second: float,
        daily_budget: int,
        clock: Clock,
        state_file: Path | None = None,
    ) -> None:
        self.interval = 1.0 / requests_per_second
        self.daily_budget = daily_budget
        self.clock = clock
        self.state_file = state_file
        self._lock = threading.Lock()
        self._next_at = clock.monotonic()
        self._day = clock.now().date()
        self._used = 0
        self._load()

    @property
    def used_today(self) -> int:
        """Requests counted against today's (UTC) budget."""
        return self._used if self._day == self.clock.now().date() else 0

    def acquire(self) -> None:
        """Wait for the next slot and count it; ApiError when today's budget is spent."""
        with self._lock:
            now = self.clock.now()
            if now.date() != self._day:
                self._day, self._used = now.date(), 0
            if self._used >= self.daily_budget:
                reset = datetime.combine(self._day + timedelta(days=1), datetime.min.time(), UTC)
                hours = (reset - now).total_seconds() / 3600
                raise ApiError(
                    f"the StockX daily budget of {self.daily_budget} requests is used up; "
                    f"it resets at 00:00 UTC (in {hours:.1f} h)",
                    status=429,
                    hint="run again after the reset, or raise stockx.daily_budget if StockX granted more",
                )
            wait = self._next_at - self.clock.monotonic()
            if wait > 0:
                self.clock.sleep(wait)
            self._next_at = self.clock.monotonic() + self.interval
            self._used += 1
            self._save()

    def hold(self, seconds: float) -> None:
        """Let no request start for `seconds` (after a 429 every caller waits, not just one)."""
        with self._lock:
            self._next_at = max(self._next_at, self.clock.monotonic() + seconds)

    def _load(self) -> None:
        if self.state_file is None:
            return
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
            day = datetime.fromisoformat(state["day"]).date()
            used = int(state["used"])
            last_at = datetime.fromisoformat(state["last_at"])
        except (OSError, ValueError, KeyError, TypeError):
            return
        now = self.clock.now()
        if day == now.date():
            self._used = used
        since = (now - last_at).total_seconds()
        if 0 <= since < self.interval:
            self._next_at = self.clock.monotonic() + self.interval - since

    def _save(self) -> None:
        if self.state_file is None:
            return
        state = {"day": self._day.isoformat(), "used": self._used, "last_at": self.clock.now().isoformat()}
        tmp = self.state_file.with_name(f".{self.state_file.name}.{os.getpid()}.tmp")
        try:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(state), encoding="utf-8")
            os.replace(tmp, self.state_file)
        except OSError:
            # Losing the count only weakens cross-run pacing; the request itself must not fail.
            tmp.unlink(missing_ok=True)


class ItemBudget:
    """StockX's batch item budget: `per_window` items per `window_s` seconds, `per_day` per UTC day.

    Every batch submission is recorded with its wall time; with a `state_file` the records survive
    between runs, so a run right after a big batch waits for the window instead of drawing 429s.
    """

    def __init__(
        self,
        *,
        per_window: int,
        window_s: float,
        per_day: int,
        clock: Clock,
        state_file: Path | None = None,
    ) -> None:
        self.per_window = per_window
        self.window_s = window_s
        self.per_day = per_day
        self.clock = clock
        self.state_file = state_file
        self._lock = threading.Lock()
        self._sent: list[tuple[datetime, int]] = []
        self._day = clock.now().date()
        self._day_used = 0
        self._load()

    @property
    def used_today(self) -> int:
        """Batch items submitted today (UTC)."""
        return self._day_used if self._day == self.clock.now().date() else 0

    def wait_for(self, items: int) -> float:
        """Seconds until `items` more fit in the window (0 when they fit now).

        ApiError when they can never fit in one window or today's item budget is spent.
        """
        with self._lock:
            return self._wait(items, self.clock.now())

    def take(self, items: int) -> None:
        """Wait until `items` fit, then count them as submitted."""
        with self._lock:
            wait = self._wait(items, self.clock.now())
            if wait > 0:
                self.clock.sleep(wait)
            now = self.clock.now()
            if now.date() != self._day:
                self._day, self._day_used = now.date(), 0
            self._sent.append((now, items))
            self._day_used += items
            self._save()

    def _wait(self, items: int, now: datetime) -> float:
        if items > self.per_window:
            raise ApiError(
                f"a batch of {items} items exceeds StockX's budget of {self.per_window} items "
                f"per {self.window_s:g} s",
                hint="send fewer items per batch",
            )
        if now.date() == self._day and self._day_used + items > self.per_day:
            raise ApiError(
                f"StockX's daily batch budget of {self.per_day} items is used up; it resets at 00:00 UTC",
                status=429,
                hint="run again after the reset",
            )
        start = now - timedelta(seconds=self.window_s)
        self._sent = [(at, n) for at, n in self._sent if at > start]
        free = self.per_window - sum(n for _, n in self._sent)
        if items <= free:
            return 0.0
        leaves = start
        for at, n in self._sent:  # oldest first: until enough of them have left the window
            free, leaves = free + n, at
            if items <= free:
                break
        return max(0.0, (leaves - start).total_seconds())

    def _load(self) -> None:
        if self.state_file is None:
            return
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
            day = datetime.fromisoformat(state["day"]).date()
            day_used = int(state["day_used"])
            sent = [(datetime.fromisoformat(at), int(n)) for at, n in state["sent"]]
        except (OSError, ValueError, KeyError, TypeError):
            return
        if day == self.clock.now().date():
            self._day_used = day_used
        self._sent = sorted(sent)

    def _save(self) -> None:
        if self.state_file is None:
            return
        state = {
            "day": self._day.isoformat(),
            "day_used": self._day_used,
            "sent": [[at.isoformat(), n] for at, n in self._sent],
        }
        tmp = self.state_file.with_name(f".{self.state_file.name}.{os.getpid()}.tmp")
        try:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(state), encoding="utf-8")
            os.replace(tmp, self.state_file)
        except OSError:
            # Losing the record only weakens cross-run pacing; the batch itself must not fail.
            tmp.unlink(missing_ok=True)
