"""The guard that keeps tests on this machine really is on, here and in subprocesses."""

import socket
import subprocess
import sys

import pytest


def test_public_names_are_refused_in_the_test_process() -> None:
    with pytest.raises(socket.gaierror, match="only loopback"):
        socket.getaddrinfo("electrum.blockstream.info", 50002)
    with pytest.raises(socket.gaierror, match="not loopback"):
        socket.getaddrinfo("8.8.8.8", 53)
    assert socket.getaddrinfo("127.0.0.1", 80)


def test_and_in_python_subprocesses() -> None:
    code = (
        "import socket\ntry:\n socket.getaddrinfo('example.com', 80)\n"
        "except OSError as e:\n print(e)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "only loopback" in out.stdout
