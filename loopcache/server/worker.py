"""One engine thread driving continuous batching; the async HTTP side submits jobs and awaits events.

    route --submit()--> [inbox] --> engine thread loop:  take new jobs: render -> engine.add_request
                                                         abort cancelled jobs
                                                         engine.step()   (every running sequence advances)
    route <--Started, TextDelta..., Finished | Failed-- (through the route's event loop)

Many jobs run at once (the engine batches them); `submit` never blocks: when `max_queue` requests already
wait for a place in the batch, it raises `QueueFullError` (the route answers 429). A job whose client went
away is cancelled: between two steps the thread aborts its sequence, which stores the KV computed so far.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

from loopcache.engine.engine import Completion, PromptTooLongError, TextDelta
from loopcache.engine.events import Event as EngineEvent
from loopcache.engine.events import Failure
from loopcache.engine.sampling import SamplingParams
from loopcache.engine.stats import EngineCounters
from loopcache.server.prompt import Prompt

log = logging.getLogger(__name__)
_STOP = object()


class QueueFullError(Exception):
    """The engine queue is full; retry later."""


class PromptRenderError(ValueError):
    """The chat template refused the messages (e.g. a template that requires alternating roles)."""


class WorkerClosedError(Exception):
    """The server is shutting down."""


@dataclass(frozen=True)
class GenerationRequest:
    prompt: Prompt
    params: SamplingParams
    session_id: str | None
    namespace: str


@dataclass(frozen=True)
class Started:
    prompt_tokens: int
    queued_s: float


@dataclass(frozen=True)
class Finished:
    completion: Completion
    stop_sequence: str | None  # the stop string that ended generation, if one did


@dataclass(frozen=True)
class Failed:
    error: Exception


Event = Started | TextDelta | Finished | Failed


@dataclass(frozen=True)
class WorkerStats:
    queue_depth: int
    completed: int
    failed: int
    cancelled: int
    cancelled_tokens: int  # text deltas cancelled generations had produced when they stopped
    engine: EngineCounters | None = None


class Job:
    def __init__(self, request: GenerationRequest, loop: asyncio.AbstractEventLoop) -> None:
        self.request = request
        self.submitted_at = time.perf_counter()
        self.sequence: Any = None  # the engine's Sequence, once added (engine thread only)
        self.num_deltas = 0
        self._loop = loop
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._cancelled = threading.Event()

    def emit(self, event: Event) -> None:
        """Called from the engine thread."""
        try:
            self._loop.call_soon_threadsafe(self._events.put_nowait, event)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self._cancelled.set()

    async def next_event(self) -> Event:
        return await self._events.get()

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancelled.is_set()


class EngineWorker:
    """Owns the engine's only thread. `start()` before submitting; `close()` finishes queued work."""

    def __init__(self, engine: Any, max_queue: int) -> None:
        self.engine = engine
        self.max_queue = max_queue
        self._inbox: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="loopcache-engine", daemon=True)
        self._closed = False
        self._num_waiting = 0  # jobs in the inbox or in the engine's queue (updated by the engine thread)
        self._lock = threading.Lock()
        self._completed = self._failed = self._cancelled = self._cancelled_tokens = 0
        self._active: list[Job] = []

    def start(self) -> None:
        self._thread.start()

    def submit(self, request: GenerationRequest, loop: asyncio.AbstractEventLoop) -> Job:
        if self._closed:
            raise WorkerClosedError("the server is shutting down")
        with self._lock:
            if self._num_waiting >= self.max_queue:
                raise QueueFullError(f"the engine queue is full ({self.max_queue} waiting)")
            self._num_waiting += 1
        job = Job(request, loop)
        self._inbox.put(job)
        return job

    def stats(self) -> WorkerStats:
        counters = self.engine.counters() if hasattr(self.engine, "counters") else None
        return WorkerStats(self._num_waiting, self._completed, self._failed, self._cancelled, self._cancelled_tokens,
                           counters)

    def close(self, timeout_s: float = 60.0) -> None:
        """Stop accepting work, let queued and running jobs finish, stop the thread. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._thread.is_alive():
            self._inbox.put(_STOP)
            self._thread.join(timeout_s)

    # ---- the engine thread --------------------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping or self._active:
            stopping = self._take_new_jobs(block=not self._active and not stopping) or stopping
            self._abort_cancelled()
            if self.engine.has_work:
                try:
                    self.engine.step()
                except Exception as exc:  # noqa: BLE001 - fail what runs, keep serving
                    log.exception("engine step failed")
                    for job in list(self._active):
                        self.engine.abort(job.sequence)
                        self._fail(job, exc)
            self._active = [j for j in self._active if not j.sequence.is_finished]
            self._update_waiting()

    def _take_new_jobs(self, block: bool) -> bool:
        """Add the inbox's jobs to the engine; True if the stop marker was among them."""
        while True:
            try:
                item = self._inbox.get(block=block)
            except queue.Empty:
                return False
            block = False
            if item is _STOP:
                return True
            assert isinstance(item, Job)
            if item.is_cancelled:
                self._cancelled += 1
                self._update_waiting()
                continue
            try:
                self._add(item)
            except Exception as exc:  # noqa: BLE001 - reported to the waiting request
                if not isinstance(exc, (PromptTooLongError, ValueError)):
                    log.exception("could not start a generation")
                self._fail(item, exc)
            self._update_waiting()

    def _add(self, job: Job) -> None:
        req = job.request
        try:
            ids = req.prompt.token_ids(self.engine)
        except Exception as exc:  # noqa: BLE001 - templates raise their own error types on bad input
            raise PromptRenderError(f"the model's chat template rejected the messages: {exc}") from exc
        if not ids:
            raise ValueError("the prompt is empty")
        if len(ids) >= self.engine.model.max_context:
            raise PromptTooLongError(
                f"prompt has {len(ids)} tokens; the model's context is {self.engine.model.max_context}"
            )
        job.sequence = self.engine.add_request(ids, req.params, req.session_id, req.namespace,
                                               sink=lambda event: self._deliver(job, event))
        self._active.append(job)
        self._update_waiting()  # before Started: whoever sees Started must see this job out of the inbox
        job.emit(Started(len(ids), time.perf_counter() - job.submitted_at))

    def _deliver(self, job: Job, event: EngineEvent) -> None:
        if isinstance(event, Failure):
            self._fail(job, event.error)
        elif isinstance(event, Completion):
            self._completed += 1
            job.emit(Finished(event, self._stop_sequence(event, job.request.params)))
        else:
            job.num_deltas += 1
            job.emit(event)

    def _fail(self, job: Job, error: Exception) -> None:
        self._failed += 1
        job.emit(Failed(error))

    def _abort_cancelled(self) -> None:
        for job in self._active:
            if job.is_cancelled and not job.sequence.is_finished:
                self.engine.abort(job.sequence)  # stores the KV computed so far
                self._cancelled += 1
                self._cancelled_tokens += job.num_deltas

    def _update_waiting(self) -> None:
        with self._lock:
            self._num_waiting = self._inbox.qsize() + self.engine.queue_depth

    def _stop_sequence(self, completion: Completion, params: SamplingParams) -> str | None:
        if completion.finish_reason != "stop" or not params.stop or not completion.token_ids:
            return None
        if completion.token_ids[-1] in self.engine.model.eos_token_ids:
            return None
        full = self.engine.model.tokenizer.decode(list(completion.token_ids), skip_special_tokens=True)
        rest = full[len(completion.text):]
        return next((s for s in params.stop if rest.startswith(s)), None)
