"""The sweep backends: which ``--scheduler`` addresses are taken, and bounded connections."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from lbp_headache.analysis import backends
from lbp_headache.analysis.backends import SchedulerError, probe_scheduler, scheduler_problems


@pytest.mark.parametrize("address", [
    "local", "tcp://127.0.0.1:8786", "tcp://scheduler.lab.example:8786", "tcp://[::1]:8786",
    "TCP://host:1", "tcp://host:65535",
])
def test_local_and_tcp_addresses_are_taken(address):
    assert scheduler_problems(address) == []


@pytest.mark.parametrize(("address", "expected"), [
    ("tls://host:8786", "'tls://' needs client certificates"),
    ("wss://host:8786", "'wss://' needs client certificates"),
    ("ucx://host:8786", "'ucx://' needs UCX"),
    ("inproc://10.0.0.1/1234/1", "'inproc://' only reaches a scheduler inside this same process"),
    ("ws://host:8786", "'ws://' is not supported"),
    ("http://host:8786", "'http://' is not a Dask transport"),
    ("host:8786", "'host:8786' has no scheme (allowed: 'local' or tcp://HOST:PORT); "
                  "did you mean tcp://host:8786?"),
    ("nonsense", "'nonsense' has no scheme (allowed: 'local' or tcp://HOST:PORT)"),
    ("Local", "'Local' has no scheme"),
    ("tcp://scheduler", "'tcp://scheduler' is not tcp://HOST:PORT"),
    ("tcp://host:0", "is not tcp://HOST:PORT"),
    ("tcp://host:65536", "is not tcp://HOST:PORT"),
    ("tcp://host:87x6", "is not tcp://HOST:PORT"),
    ("tcp://ho st:8786", "is not tcp://HOST:PORT"),
    ("tcp://host:8786\n--evil", r"'tcp://host:8786\n--evil' is not tcp://HOST:PORT"),
])
def test_other_addresses_are_refused_in_one_line(address, expected):
    problems = scheduler_problems(address)
    assert len(problems) == 1
    assert problems[0].startswith("--scheduler: ")
    assert expected in problems[0]
    assert "\n" not in problems[0]


def test_refused_schemes_never_reach_dask(monkeypatch):
    # The old check passed tls:// and ucx:// on to distributed.Client, which raised a TypeError.
    for scheme in backends.UNSUPPORTED_SCHEMES:
        assert scheduler_problems(f"{scheme}://host:8786"), scheme


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never sends a byte."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_a_silent_scheduler_times_out_at_the_bound(silent_server):
    pytest.importorskip("distributed")
    started = time.monotonic()
    with pytest.raises(SchedulerError) as caught:
        probe_scheduler(silent_server, seconds=1.5)
    elapsed = time.monotonic() - started
    assert 1.4 < elapsed < 5, elapsed
    assert str(caught.value) == (f"--scheduler: no Dask scheduler answered at {silent_server} "
                                 "(no answer within 1.5 s); is 'dask scheduler' running there?")


def test_a_refused_connection_fails_at_once():
    pytest.importorskip("distributed")
    with socket.socket() as probe:  # a free port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(SchedulerError, match=f"at tcp://127.0.0.1:{port} "):
        probe_scheduler(f"tcp://127.0.0.1:{port}", seconds=3)
    assert time.monotonic() - started < 3.5


def test_a_real_scheduler_answers_the_probe():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=0, processes=False,
                                  dashboard_address=None) as cluster:
        probe_scheduler(cluster.scheduler_address, seconds=10)
