"""One engine thread in front of a bounded queue; the async HTTP side submits jobs and awaits events.

    route --submit()--> [queue, max_queue] --> engine thread: render -> engine.stream -> events
    route <--Started, TextDelta..., Finished | Failed-- (through the route's event loop)

`submit` never blocks: a full queue raises `QueueFullError` (the route answers 429). A job whose client
went away is cancelled: the thread stops iterating the engine's stream after the next event and closes
it, which stores the KV computed so far (see `Engine.stream`).
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
from loopcache.engine.sampling import SamplingParams
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


class Job:
    def __init__(self, request: GenerationRequest, loop: asyncio.AbstractEventLoop) -> None:
        self.request = request
        self.submitted_at = time.perf_counter()
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
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self._thread = threading.Thread(target=self._run, name="loopcache-engine", daemon=True)
        self._closed = False
        self._completed = self._failed = self._cancelled = self._cancelled_tokens = 0

    def start(self) -> None:
        self._thread.start()

    def submit(self, request: GenerationRequest, loop: asyncio.AbstractEventLoop) -> Job:
        if self._closed:
            raise WorkerClosedError("the server is shutting down")
        job = Job(request, loop)
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            raise QueueFullError(f"the engine queue is full ({self._queue.maxsize} waiting)") from None
        return job

    def stats(self) -> WorkerStats:
        return WorkerStats(self._queue.qsize(), self._completed, self._failed, self._cancelled, self._cancelled_tokens)

    def close(self, timeout_s: float = 60.0) -> None:
        """Stop accepting work, let queued jobs finish, stop the thread. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, Job)
            if item.is_cancelled:
                self._cancelled += 1
                continue
            try:
                self._run_job(item)
            except Exception as exc:  # noqa: BLE001 - reported to the waiting request, never kills the thread
                if not isinstance(exc, (PromptTooLongError, ValueError)):
                    log.exception("generation failed")
                self._failed += 1
                item.emit(Failed(exc))

    def _run_job(self, job: Job) -> None:
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
        job.emit(Started(len(ids), time.perf_counter() - job.submitted_at))
        stream = self.engine.stream(ids, req.params, req.session_id, req.namespace)
        deltas, stopped_early = 0, False
        try:
            for event in stream:
                if job.is_cancelled:
                    stopped_early = True
                    break
                deltas += 1
                if isinstance(event, Completion):
                    job.emit(Finished(event, self._stop_sequence(event, req.params)))
                    self._completed += 1
                else:
                    job.emit(event)
        finally:
            stream.close()  # stores the KV computed so far when the job was cancelled
        if stopped_early:
            self._cancelled += 1
            self._cancelled_tokens += deltas

    def _stop_sequence(self, completion: Completion, params: SamplingParams) -> str | None:
        if completion.finish_reason != "stop" or not params.stop or not completion.token_ids:
            return None
        if completion.token_ids[-1] in self.engine.model.eos_token_ids:
            return None
        full = self.engine.model.tokenizer.decode(list(completion.token_ids), skip_special_tokens=True)
        rest = full[len(completion.text):]
        return next((s for s in params.stop if rest.startswith(s)), None)
