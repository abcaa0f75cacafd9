"""Run one step of a pipeline in a fresh child process, so its memory goes when it ends.

`leadhouse run` ingests and then builds. The ingest leaves its parent holding memory it
no longer uses (0.55 GB at the L benchmark scale: allocator pools of Arrow and DuckDB,
dlt's imports and caches) that no garbage collection or ``malloc_trim`` returns, and that
memory would sit beside dbt's for the whole build. A child process gives all of it back
when it exits.

The child's standard output and error are sent to the parent, which writes them to its
own (so output captured by a test runner or a log shipper arrives in order, as if the step
had run in process). What the function returns comes back; what it raises is raised again
in the parent (as :class:`ChildFailed` when it cannot be pickled). The child dies with its
parent: a scheduler that kills the run kills the step too, so an orphan never goes on
writing to the warehouse without the run's lock.
"""

from __future__ import annotations

import ctypes
import functools
import io
import multiprocessing
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class ChildFailed(Exception):
    """The child raised an exception that could not be pickled; its text is kept."""


class ChildDied(Exception):
    """The child ended without an answer (killed by a signal or out of memory)."""


class _Forward(io.TextIOBase):
    """A text stream that sends what is written to the parent, tagged with its name."""

    def __init__(self, sender: Connection, name: str) -> None:
        self._sender = sender
        self._name = name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # click probes streams with bytes to tell text from binary
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if text:
            self._sender.send((self._name, text))
        return len(text)


def _prctl() -> Callable[..., int] | None:
    """libc's ``prctl`` on Linux (loaded in the parent: a forked child must not ``dlopen``)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    return prctl


def _die_with_parent(parent: int, prctl: Callable[..., int] | None = None) -> None:
    prctl = prctl or _prctl()
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def dies_with_this_process() -> Callable[[], None] | None:
    """A ``preexec_fn`` for :mod:`subprocess`: the command is killed when this process
    (precisely: the calling thread) dies, so a run killed by its scheduler leaves no dbt
    building on without the run's lock. Linux only; ``None`` elsewhere."""
    prctl = _prctl()
    if prctl is None:
        return None
    return functools.partial(_die_with_parent, os.getpid(), prctl)


def _child(
    sender: Connection, parent: int, function: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    _die_with_parent(parent)
    sys.stdout = _Forward(sender, "stdout")
    sys.stderr = _Forward(sender, "stderr")
    try:
        answer: tuple[str, Any] = ("return", function(*args))
    except BaseException as error:  # every failure, exits included, goes to the parent
        try:
            pickle.loads(pickle.dumps(error))
            answer = ("raise", error)
        except Exception:  # whatever pickling raises, the text still goes
            text = "".join(traceback.format_exception_only(type(error), error)).strip()
            answer = ("raise", ChildFailed(text))
    sender.send(answer)
    sender.close()


def call_in_child(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` in a fresh Python process (``spawn``: nothing of this process's
    memory is copied). ``function`` and ``args`` must be picklable, and so must the result.
    Call it from the main thread: the child is killed when the calling thread ends."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child, args=(sender, os.getpid(), function, args), name="leadhouse-step"
    )
    child.start()
    sender.close()  # the child holds the only writing end: EOF when it ends
    answer: tuple[str, Any] | None = None
    try:
        while True:
            try:
                kind, payload = receiver.recv()
            except EOFError:
                break
            if kind == "stdout":
                sys.stdout.write(payload)
                sys.stdout.flush()
            elif kind == "stderr":
                sys.stderr.write(payload)
                sys.stderr.flush()
            else:
                answer = (kind, payload)
    finally:
        receiver.close()
        child.join()
    if answer is None:
        code = child.exitcode or 0
        how = f"signal {-code}" if code < 0 else f"{code}"
        raise ChildDied(f"the step's process ended without an answer (exit {how})")
    kind, payload = answer
    if kind == "raise":
        raise payload
    return payload
