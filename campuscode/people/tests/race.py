"""Another request writing between a check and the write it guards, for race tests."""

import threading
from collections.abc import Callable
from contextlib import contextmanager

from django.db import connection


@contextmanager
def meanwhile(marker: str, write: Callable[[], None]):
    """Run `write` as another request, once, right after this connection's first query
    containing `marker`. On PostgreSQL it runs in a thread with a connection (and a
    transaction) of its own, committed before this one goes on: the real race, so the
    test needs transaction=True. SQLite lets no other connection write while a
    transaction is open (IMMEDIATE), so there `write` runs on this very connection."""
    ran: list[bool] = []
    failures: list[BaseException] = []

    def other_request():
        try:
            write()
        except BaseException as error:  # re-raised in the test's thread
            failures.append(error)
        finally:
            connection.close()

    def after(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not ran and marker in sql:
            ran.append(True)
            if connection.vendor == "postgresql":
                thread = threading.Thread(target=other_request)
                thread.start()
                thread.join(timeout=60)
            else:
                write()
        return result

    with connection.execute_wrapper(after):
        yield ran
    if failures:
        raise failures[0]
