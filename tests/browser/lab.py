"""A throwaway JupyterLab server and a headless chromium for tests/test_browser.py.

The server runs from this interpreter (the project's .venv) on 127.0.0.1 with a random port and
token, in temporary config/runtime/settings folders, on a *copy* of the notebooks so a run in
the browser can never overwrite the committed outputs. It is stopped by its own process id.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
UI_TIMEOUT_MS = 60_000  # kernel -> browser round trips; generous for 2 busy cores
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# User settings for the test server: every cell stays in the DOM (no windowing), nothing is
# saved behind the test's back, and no news or update pop-ups cover the notebook.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class JupyterLab:
    """A running `jupyter lab` on a copy of `notebooks`; use as a context manager."""

    def __init__(self, notebooks: list[Path], extra_env: dict[str, str] | None = None,
                 startup_timeout: float = 180.0, disabled_extensions: tuple[str, ...] = ()):
        self.tmp = Path(tempfile.mkdtemp(prefix="course-lab-"))
        self.root = self.tmp / "notebooks"
        self.root.mkdir()
        for notebook in notebooks:
            shutil.copy2(notebook, self.root / notebook.name)
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.tmp / "jupyterlab.log"
        self.extra_env = extra_env or {}
        self.disabled_extensions = disabled_extensions  # e.g. to break widgets on purpose
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        for name in ("config", "runtime", "data", "workspaces", "settings"):
            (self.tmp / name).mkdir()
        env.update(
            JUPYTER_CONFIG_DIR=str(self.tmp / "config"),
            JUPYTER_RUNTIME_DIR=str(self.tmp / "runtime"),
            JUPYTER_DATA_DIR=str(self.tmp / "data"),  # the .venv's share/jupyter still counts
            JUPYTERLAB_WORKSPACES_DIR=str(self.tmp / "workspaces"),
            JUPYTERLAB_SETTINGS_DIR=str(self.tmp / "settings"),
            JUPYTER_PLATFORM_DIRS="1",
        )
        env.update(self.extra_env)
        if self.disabled_extensions:  # what `jupyter labextension disable` writes
            page_config = self.tmp / "config" / "labconfig" / "page_config.json"
            page_config.parent.mkdir()
            page_config.write_text(json.dumps(
                {"disabledExtensions": dict.fromkeys(self.disabled_extensions, True)}))
        for plugin, values in LAB_SETTINGS.items():
            path = self.tmp / "settings" / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        return env

    def start(self) -> JupyterLab:
        command = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}", "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, env=self._environment(), cwd=self.root,
                                            stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_it_answers()
        return self

    def _wait_until_it_answers(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        status = f"{self.url}/api/status?token={self.token}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n"
                                   + self.log_tail())
            try:
                with urllib.request.urlopen(status, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer within {self.startup_timeout:.0f} s:\n"
                           + self.log_tail())

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}"

    def stop(self) -> None:
        """SIGTERM to our own server (it shuts its kernels down), SIGKILL if it lingers."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the server stops its kernels first
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> JupyterLab:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextmanager
def chromium(viewport: tuple[int, int] = (1400, 1000)):
    """A fresh headless chromium (own --user-data-dir) as a Playwright browser context."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="course-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS,
                viewport={"width": viewport[0], "height": viewport[1]},
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
