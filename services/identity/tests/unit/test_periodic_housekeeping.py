"""The worker's housekeeping thread: runs its task again and again, a failure waits for the next round."""

import threading

from identity.maintenance import Periodic


def test_a_failing_round_does_not_stop_the_next_ones():
    calls = []
    enough = threading.Event()

    def task():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database down")
        if len(calls) >= 3:
            enough.set()

    periodic = Periodic(task, every=0.01, name="test").start()
    assert enough.wait(5)
    periodic.stop()
    periodic.thread.join(5)
    assert not periodic.thread.is_alive() and periodic.thread.daemon
