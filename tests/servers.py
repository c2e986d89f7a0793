"""A real `tactful serve` in its own process on a free 127.0.0.1 port, for the tests that need
one (API fuzzing, kill-and-resume, the browser). Only the TACTFUL_ settings given here apply:
any from the caller's environment are dropped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
# The checkout these tests are in: a server (and `tactful keys`) runs its code, first on the
# path, not the tree an editable install of the package may point at.
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    """`Service(folder, auth="on").start()`; the database and data live in `folder`, so a
    second Service on the same folder picks up where the first stopped."""

    def __init__(self, folder: Path, *, auth: str = "off", name: str = "server", **env: str):
        self.folder = Path(folder)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TACTFUL_")} | {
            "TACTFUL_DB_PATH": str(self.folder / "tactful.db"), "TACTFUL_DATA_DIR": str(self.folder),
            "TACTFUL_AUTH": auth, "TACTFUL_MODEL": "", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))), **env}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.folder / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def db_path(self) -> Path:
        return Path(self.env["TACTFUL_DB_PATH"])

    def create_key(self, scopes: str = "admin", rpm: int = 120) -> str:
        out = subprocess.run([str(BIN / "tactful"), "keys", "create", "--name", "test", "--scopes", scopes,
                              "--rpm", str(rpm)], env=self.env, capture_output=True, text=True, check=True)
        return out.stdout.strip().splitlines()[-1]

    def start(self, timeout_s: float = 30) -> "Service":
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [str(BIN / "tactful"), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)  # its own process group: worker processes included
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tactful serve exited with {self.proc.returncode}: "
                                   f"{self.log_path.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"tactful serve was not ready within {timeout_s} s")

    def stop(self) -> None:
        """A graceful stop (SIGTERM), then SIGKILL if it does not end within 10 s."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, nothing is checkpointed."""
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # workers of --workers N too
            except ProcessLookupError:
                pass
        if self.proc:
            self.proc.wait(10)
