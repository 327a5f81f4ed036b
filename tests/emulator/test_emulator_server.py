"""The server around the API: lifecycle, prefix, TLS, loading from a file, CLI and pytest plugin."""

from __future__ import annotations

import gc
import http.client
import json
import logging
import os
import queue
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import requests

import airflow_provider_datalore.emulator as emulator_package
from airflow_provider_datalore.emulator import DataloreEmulator, EmulatorConfig
from airflow_provider_datalore.emulator.server import normalize_prefix
from airflow_provider_datalore.urls import is_loopback_host

TOKEN = "emulator-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# Subprocesses import the package from this checkout, wherever pytest was started from.
_ROOT = str(Path(emulator_package.__file__).resolve().parents[2])
_ENV = {
    **os.environ,
    "PYTHONUNBUFFERED": "1",
    "PYTHONPATH": os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p),
}


# Lifecycle


def test_start_returns_a_listening_server_and_stop_closes_it():
    emulator = DataloreEmulator()
    with pytest.raises(RuntimeError, match="not running"):
        _ = emulator.port

    emulator.start()
    port = emulator.port
    assert emulator.running
    assert emulator.url == f"http://127.0.0.1:{port}"
    assert emulator.ca_file is None
    with pytest.raises(RuntimeError, match="already running"):
        emulator.start()
    emulator.stop()
    emulator.stop()

    assert not emulator.running
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_stop_cancels_requests_still_held_by_a_delay_quietly(caplog):
    emulator = DataloreEmulator().start()
    emulator.add_faults({"endpoint": "status", "action": "delay", "seconds": 30, "times": 2})
    for _ in range(2):
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(f"{emulator.url}/api/run/v1/x", headers=AUTH, timeout=0.1)

    with caplog.at_level(logging.WARNING):
        emulator.stop()
        gc.collect()

    assert not emulator.running
    assert [(e.fault, e.status) for e in emulator.journal] == [("delay", None)] * 2
    assert [r.getMessage() for r in caplog.records] == []


def test_context_manager_and_fixed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with DataloreEmulator(port=port) as emulator:
        assert emulator.port == port
        assert requests.get(f"{emulator.url}/api/run/v1/x", headers=AUTH, timeout=10).status_code == 404
        with pytest.raises(OSError, match="in use"), DataloreEmulator(port=port):
            pass


def test_config_as_dict_and_from_file(tmp_path):
    data = {"tokens": {"file-token": {"f/nb": "editor"}}, "notebooks": [{"id": "f/nb", "polls": 0}]}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))

    for emulator in (DataloreEmulator(data), DataloreEmulator.from_file(path, prefix="/dl")):
        with emulator:
            response = requests.post(
                f"{emulator.url}/api/run/v1/notebook",
                json={"notebookId": "f/nb"},
                headers={"Authorization": "Bearer file-token"},
                timeout=10,
            )
            assert response.status_code == 200


def test_invalid_config_dict_raises_value_error():
    with pytest.raises(ValueError, match="unknown key 'notebook'"):
        DataloreEmulator({"notebook": []})


# Prefix


def test_prefix_serves_the_api_under_it(make_emulator):
    emulator = make_emulator(prefix="/datalore/")
    port = emulator.port

    assert emulator.url == f"http://127.0.0.1:{port}/datalore"
    started = requests.post(
        f"{emulator.url}/api/run/v1/notebook",
        json={"notebookId": "demo/sales-report"},
        headers=AUTH,
        timeout=10,
    )
    assert started.status_code == 200
    status = requests.get(f"{emulator.url}/api/run/v1/{started.json()['runId']}", headers=AUTH, timeout=10)
    assert status.status_code == 200
    bare = requests.get(
        f"http://127.0.0.1:{port}/api/run/v1/{started.json()['runId']}", headers=AUTH, timeout=10
    )
    assert (bare.status_code, bare.text) == (404, "Not Found"), "without the prefix it is not the API"
    assert [e.path for e in emulator.journal] == [
        "/datalore/api/run/v1/notebook",
        f"/datalore/api/run/v1/{started.json()['runId']}",
        f"/api/run/v1/{started.json()['runId']}",
    ]
    control = requests.get(f"http://127.0.0.1:{port}/_emulator/runs", timeout=10)
    assert control.status_code == 200, "the control plane stays at the root"


@pytest.mark.parametrize(
    ("prefix", "expected"), [("", ""), ("/", ""), ("datalore", "/datalore"), ("/a/b/", "/a/b")]
)
def test_normalize_prefix(prefix, expected):
    assert normalize_prefix(prefix) == expected


@pytest.mark.parametrize("prefix", ["/a//b", "/a?b", "/a b"])
def test_normalize_prefix_rejects_odd_values(prefix):
    with pytest.raises(ValueError, match="prefix"):
        normalize_prefix(prefix)


@pytest.mark.parametrize(
    ("host", "loopback"), [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False)]
)
def test_is_loopback(host, loopback):
    assert is_loopback_host(host) is loopback


# TLS


# A client that rejects the certificate makes CPython's asyncio leak the half-handshaken server socket
# until it is garbage-collected (a long-standing asyncio bug, not the emulator's): collect it here.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_tls_with_the_ca_file(make_emulator):
    emulator = make_emulator(tls=True)
    ca_file = emulator.ca_file

    assert emulator.url == f"https://localhost:{emulator.port}"
    assert ca_file is not None
    assert os.path.exists(ca_file)
    response = requests.post(
        f"{emulator.url}/api/run/v1/notebook",
        json={"notebookId": "demo/sales-report"},
        headers=AUTH,
        verify=ca_file,
        timeout=10,
    )
    assert response.status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{emulator.url}/api/run/v1/x", headers=AUTH, timeout=10)

    emulator.stop()
    assert not os.path.exists(ca_file), "the key and cert are removed on stop"
    gc.collect()


def test_tls_certificate_passes_strict_verification_for_localhost_and_ip(make_emulator):
    emulator = make_emulator(tls=True)
    context = ssl.create_default_context(cafile=emulator.ca_file)
    context.verify_flags |= ssl.VERIFY_X509_STRICT

    for host in ("localhost", "127.0.0.1"):
        connection = http.client.HTTPSConnection(host, emulator.port, context=context, timeout=10)
        connection.request("GET", "/api/run/v1/x", headers=AUTH)
        response = connection.getresponse()
        assert response.status == 404
        assert json.loads(response.read()) == {"error": "Run x not found"}
        connection.close()


def test_tls_faults_work_too(make_emulator):
    emulator = make_emulator(tls=True)
    emulator.add_faults({"endpoint": "status", "action": "reset"}, {"endpoint": "status", "action": "drop"})
    url = f"{emulator.url}/api/run/v1/x"

    for _ in range(2):
        with pytest.raises((requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            requests.get(url, headers=AUTH, verify=emulator.ca_file, timeout=10)
    assert requests.get(url, headers=AUTH, verify=emulator.ca_file, timeout=10).status_code == 404


# Standalone use


def test_importing_and_running_the_emulator_never_imports_airflow():
    code = textwrap.dedent(
        """
        import sys
        import airflow_provider_datalore.emulator as emulator_package

        assert "aiohttp" not in sys.modules, "aiohttp is imported when the server is first used"
        with emulator_package.DataloreEmulator() as emulator:
            pass
        loaded = sorted(m for m in sys.modules if m == "airflow" or m.startswith("airflow."))
        print(loaded)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=_ENV
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


class _Cli:
    """The emulator's command line in a subprocess, its output lines read with a timeout."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "airflow_provider_datalore.emulator", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_ENV,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        line = self.readline()
        assert line.startswith("Datalore emulator listening on "), line
        self.url = line.rsplit(" ", 1)[1].strip()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put("")

    def readline(self, timeout: float = 30) -> str:
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            self.process.kill()
            raise AssertionError("the emulator printed nothing in time") from None

    def stop(self, stop_signal: int = signal.SIGTERM) -> str:
        """Send the signal, wait for the exit, and return stderr."""
        self.process.send_signal(stop_signal)
        try:
            _, err = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        return err


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_cli_serves_until_signalled(stop_signal):
    cli = _Cli()
    url = cli.url
    try:
        started = requests.post(
            f"{url}/api/run/v1/notebook", json={"notebookId": "demo/sales-report"}, headers=AUTH, timeout=10
        )
        assert started.status_code == 200
        journal = requests.get(f"{url}/_emulator/journal", timeout=10).json()
        assert [e["status"] for e in journal] == [200]
    finally:
        err = cli.stop(stop_signal)

    assert cli.process.returncode == 0, err
    assert "Traceback" not in err


def test_cli_with_config_tls_and_prefix(tmp_path):
    config = EmulatorConfig.from_dict(
        {"tokens": {"cli-token": {"c/nb": "editor"}}, "notebooks": [{"id": "c/nb", "polls": 0}]}
    )
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config.to_dict()))
    cli = _Cli("--config", str(path), "--tls", "--prefix", "/datalore")
    url = cli.url
    try:
        ca_line = cli.readline()
        assert ca_line.startswith("CA file: ")
        ca_file = ca_line.split(": ", 1)[1].strip()
        assert url.startswith("https://localhost:")
        assert url.endswith("/datalore")
        started = requests.post(
            f"{url}/api/run/v1/notebook",
            json={"notebookId": "c/nb"},
            headers={"Authorization": "Bearer cli-token"},
            verify=ca_file,
            timeout=10,
        )
        assert started.status_code == 200
    finally:
        err = cli.stop()
    assert cli.process.returncode == 0, err
    assert not os.path.exists(ca_file)


def test_cli_warns_on_a_non_loopback_host():
    cli = _Cli("--host", "0.0.0.0")
    try:
        assert cli.url.startswith("http://127.0.0.1:")
        assert requests.get(f"{cli.url}/", timeout=10).status_code == 404
    finally:
        err = cli.stop()
    assert cli.process.returncode == 0
    assert "WARNING" in err
    assert "0.0.0.0" in err


def test_cli_rejects_a_bad_config(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"notebooks": [{"id": "no-slash"}]}))

    result = subprocess.run(
        [sys.executable, "-m", "airflow_provider_datalore.emulator", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_ENV,
    )

    assert result.returncode == 2
    assert "owner/notebook" in result.stderr
    assert result.stdout == ""


def test_pytest_plugin_provides_the_fixture(tmp_path):
    test_file = tmp_path / "test_uses_fixture.py"
    test_file.write_text(
        textwrap.dedent(
            """
            import requests

            def test_fixture(datalore_emulator):
                assert datalore_emulator.running
                response = requests.get(
                    datalore_emulator.url + "/api/run/v1/x",
                    headers={"Authorization": "Bearer emulator-token"},
                    timeout=10,
                )
                assert response.status_code == 404
            """
        )
    )
    env = {**_ENV, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "airflow_provider_datalore.emulator.pytest_plugin",
            "--rootdir",
            str(tmp_path),
            str(test_file),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
