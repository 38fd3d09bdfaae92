"""Work split over threads for libraries that let the GIL go while they compute (torch,
llama.cpp): each thread keeps a core busy while the others' Python waits its turn."""

from __future__ import annotations

import threading
from collections.abc import Callable


def in_threads(run: Callable[[int], None], n: int) -> None:
    """``run(0)`` .. ``run(n - 1)``, each in a thread of its own but the first (the caller's);
    the first error is raised once all have ended."""
    errors: list[BaseException] = []

    def guarded(worker: int) -> None:
        try:
            run(worker)
        except BaseException as e:  # noqa: BLE001 - raised in the caller's thread below
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(w,), daemon=True) for w in range(1, n)]
    for t in threads:
        t.start()
    guarded(0)
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
