"""Running calls at the same moment, each in its own thread and database connection,
for the tests of two people (or two clicks) at once."""

import threading

from django.db import connections


def at_the_same_moment(*calls) -> list:
    """Run every call in its own thread, all released together. Each call's result, or
    the exception it raised, in the order given."""
    start = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            start.wait(timeout=10)
            outcomes[index] = call()
        except Exception as error:  # the caller decides what was expected
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
