"""What every client test shares: the `mdbus` binary, the simulator's keys, a simulator
started on a free loopback port for the test module that asks for it, and a guard that turns
a hung client into a failure."""

import contextlib
import faulthandler
import os
import socket
import subprocess
import sys
import threading

import pytest

MDBUS = os.environ.get("MDBUS", "target/debug/mdbus")
# The simulator's account (sim/src/exchange: ExchangeConfig's default).
KEY, SECRET, PASSPHRASE = "mdbus-sim-key", "mdbus-sim-secret", "mdbus-sim-pass"


# Longer than any test takes; a client waiting forever (a dropped socket it never reopens)
# would otherwise hold the run until the CI job's own limit.
HANG_SECONDS = 180


@pytest.fixture(autouse=True)
def hang_guard(request):
    """Ends the run with every thread's stack if one test takes longer than `HANG_SECONDS`."""
    done = threading.Event()

    def watch():
        if not done.wait(HANG_SECONDS):
            # Output capture off, so the stacks reach the terminal.
            request.config.pluginmanager.getplugin("capturemanager").suspend_global_capture(in_=True)
            print(f"\n{request.node.nodeid} ran over {HANG_SECONDS} s; every thread's stack:", file=sys.stderr, flush=True)
            faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
            os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
    yield
    done.set()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def simulator(venue, *args):
    """`mdbus sim --venue <venue> <args>` on a free port; yields its `host:port`."""
    port = free_port()
    p = subprocess.Popen(
        [MDBUS, "sim", "--venue", venue, "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = p.stdout.readline()
        assert "simulator listening" in line, line
        yield f"127.0.0.1:{port}"
    finally:
        p.kill()
        p.wait()


@pytest.fixture(scope="module")
def sim(request):
    """The simulator of the module's `VENUE`."""
    with simulator(request.module.VENUE) as addr:
        yield addr


@pytest.fixture(scope="module")
def tls_sim(request, tmp_path_factory):
    """The simulator of the module's `VENUE` over TLS (https, wss), for clients that sign the
    URL they connect to: yields `(localhost:port, path of its certificate)`, the certificate
    for the client to trust."""
    cert = tmp_path_factory.mktemp("sim") / "cert.pem"
    with simulator(request.module.VENUE, "--tls", "--cert-out", str(cert)) as addr:
        yield addr.replace("127.0.0.1", "localhost"), str(cert)
