"""
One file-transfer measurement, in a fresh interpreter; prints one JSON line.

``python benchmarks/transfers.py {download,upload} {floor,floor_sha256,ours} --url URL --ca CA --workdir DIR ...``

- ``download floor``: a bare ``requests`` streaming loop (``requests.post(..., stream=True)``, then
  ``iter_content(64 KiB)`` written to a file). ``download floor_sha256``: the same loop, each chunk also
  given to ``hashlib.sha256().update`` (what a user's loop that reports the file's digest, as ours
  does, adds: a reference, not the goal's floor). ``download ours``: ``DataloreHook.download_file`` to a
  path.
- ``upload floor``: ``requests.post`` with a ``requests_toolbelt.MultipartEncoder`` straight over the open
  file. ``upload ours``: ``DataloreHook.upload_file``.

Before the timed transfer each process imports what it uses and warms up with a small transfer of the
same kind (a 1 MiB download, or upload, with the same client or hook), so the timed one pays neither
imports nor first-use costs (the floor's ``requests.post`` opens a new connection for each call, as is).
The peak RSS is then reset (``/proc/self/clear_refs``, 5) and read back from ``VmHWM`` after the
transfer; a thread samples ``VmRSS`` every 5 ms as well, in case the kernel refuses the reset. *RSS added* is that peak minus the RSS right before the transfer. The download's
file is hashed after the measurement (outside the timing and the peak), the upload's digest is the one
the emulator's journal records for what it received.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

CHUNK = 64 * 1024
API = "/api/notebook/v1"
TOKEN = "bench-token-not-a-secret"
NOTEBOOK = "bench/files"
DIRECTORY = "data/notebook_files"
BIG, SMALL = f"{DIRECTORY}/big.bin", f"{DIRECTORY}/small.bin"
SMALL_BYTES = 1024 * 1024


def status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


class PeakRss:
    """The peak RSS over a block: VmHWM after resetting it, and a 5 ms VmRSS sampler, whichever is higher."""

    def __enter__(self) -> PeakRss:
        self.reset = True
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")
        except OSError:
            self.reset = False
        self.before_kib = status_kib("VmRSS")
        self.sampled_kib = self.before_kib
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.sampled_kib = max(self.sampled_kib, status_kib("VmRSS"))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.hwm_kib = status_kib("VmHWM")
        peak = max(self.sampled_kib, self.hwm_kib if self.reset else 0)
        self.added_mib = (peak - self.before_kib) / 1024


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def last_upload(url: str, ca: str) -> dict[str, Any]:
    """What the emulator received in its last upload (its journal): name, size, sha256."""
    import ssl

    context = ssl.create_default_context(cafile=ca)
    with urllib.request.urlopen(f"{url}/_emulator/journal", timeout=60, context=context) as response:
        journal = json.loads(response.read())
    uploads = [e for e in journal if e["path"].endswith("/file/upload") and e.get("status") == 200]
    return uploads[-1]["body"]["file"]


def hook_for(url: str, ca: str) -> Any:
    os.environ["AIRFLOW_CONN_DATALORE_DEFAULT"] = json.dumps(
        {"conn_type": "datalore", "host": url, "password": TOKEN, "extra": {"ca_bundle": ca}}
    )
    from airflow_provider_datalore.hooks.datalore import DataloreHook

    return DataloreHook()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("direction", choices=["download", "upload"])
    parser.add_argument("kind", choices=["floor", "floor_sha256", "ours"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--workdir", required=True, type=Path)
    parser.add_argument("--source", type=Path, help="the file to upload")
    parser.add_argument("--small", type=Path, help="the 1 MiB file the upload warms up with")
    args = parser.parse_args()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = {"ownerId": "bench", "id": "files"}
    destination = args.workdir / f"download-{args.kind}-{os.getpid()}.bin"
    warm = args.workdir / f"warm-{args.kind}-{os.getpid()}.bin"
    result: dict[str, Any] = {"direction": args.direction, "kind": args.kind}

    if args.kind in ("floor", "floor_sha256"):
        import requests
        from requests_toolbelt import MultipartEncoder

        digest = hashlib.sha256() if args.kind == "floor_sha256" else None

        def download(path: str, target: Path) -> int:
            size = 0
            with requests.post(
                f"{args.url}{API}/file",
                json={"notebookId": body, "filePath": path},
                stream=True,
                headers=auth,
                verify=args.ca,
            ) as response:
                response.raise_for_status()
                with open(target, "wb") as out:
                    for chunk in response.iter_content(CHUNK):
                        out.write(chunk)
                        if digest is not None:
                            digest.update(chunk)
                        size += len(chunk)
            return size

        def upload(source: Path) -> int:
            with open(source, "rb") as handle:
                encoder = MultipartEncoder(fields={"file": (source.name, handle, "application/octet-stream")})
                response = requests.post(
                    f"{args.url}{API}/file/upload",
                    params={"ownerId": "bench", "notebookId": "files", "directory": DIRECTORY},
                    data=encoder,
                    headers={**auth, "Content-Type": encoder.content_type},
                    verify=args.ca,
                )
                response.raise_for_status()
            return source.stat().st_size

    else:
        hook = hook_for(args.url, args.ca)

        def download(path: str, target: Path) -> int:
            return hook.download_file(NOTEBOOK, path, str(target)).size

        def upload(source: Path) -> int:
            return hook.upload_file(NOTEBOOK, str(source), DIRECTORY).size

    if args.direction == "download":
        download(SMALL, warm)
        warm.unlink()
        with PeakRss() as rss:
            cpu = resource.getrusage(resource.RUSAGE_SELF)
            start = time.perf_counter()
            size = download(BIG, destination)
            seconds = time.perf_counter() - start
            cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        result["sha256"] = file_sha256(destination)
        destination.unlink()
    else:
        if not (args.source and args.small):
            parser.error("upload needs --source and --small")
        upload(args.small)
        with PeakRss() as rss:
            cpu = resource.getrusage(resource.RUSAGE_SELF)
            start = time.perf_counter()
            size = upload(args.source)
            seconds = time.perf_counter() - start
            cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        received = last_upload(args.url, args.ca)
        result["sha256"] = received["sha256"]
        result["received_bytes"] = received["size"]
    result.update(
        {
            "bytes": size,
            "seconds": seconds,
            "mb_per_s": size / 1e6 / seconds,
            # CPU seconds of the process (all its threads, the RSS sampler's few included) in the transfer
            "cpu_user_s": cpu_after.ru_utime - cpu.ru_utime,
            "cpu_sys_s": cpu_after.ru_stime - cpu.ru_stime,
            "rss_before_mib": rss.before_kib / 1024,
            "rss_added_mib": rss.added_mib,
            "rss_added_sampled_mib": (rss.sampled_kib - rss.before_kib) / 1024,
            "hwm_reset": rss.reset,
        }
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
