"""A private JupyterLab server and the Chromium flags, for the browser tests and benchmarks.

Shared by ``tests/browser/conftest.py`` and ``benchmarks/bench_widgets.py``. The
server runs on 127.0.0.1 on a free port, without a token, with its Jupyter config,
settings, workspaces and runtime directories under a temporary folder (so nothing
from the user's own Jupyter leaks in, and no old tabs are restored), and with the
news toast turned off. Stop it by its process with :func:`stop_lab`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

#: Debian's Chromium, headless, with nothing running in the background
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: extensions that the test tools bring (nbgrader, and the `notebook` package it pulls in)
#: and that a learner's JupyterLab, from requirements.txt, does not have
TEACHER_SERVER_EXTENSIONS = ("nbgrader.server_extensions.assignment_list",
                             "nbgrader.server_extensions.course_list",
                             "nbgrader.server_extensions.formgrader",
                             "nbgrader.server_extensions.validate_assignment", "notebook")
TEACHER_LAB_EXTENSIONS = ("@jupyter/nbgrader", "@jupyter-notebook/lab-extension")


def _learner_extensions_only(config_dir: Path) -> None:
    """Turn off, in this server's own config dir, the extensions a learner does not have,
    so the browser tests see the JupyterLab that requirements.txt installs (its user-level
    config wins over the environment's)."""
    (config_dir / "labconfig").mkdir(parents=True, exist_ok=True)
    off = {name: False for name in TEACHER_SERVER_EXTENSIONS}
    (config_dir / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": off}}))
    (config_dir / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {name: True for name in TEACHER_LAB_EXTENSIONS}}))


def start_lab(tmp: Path, root_dir: Path, timeout: float = 90.0):
    """Start JupyterLab serving ``root_dir``, its private folders under ``tmp``.

    Returns ``(process, log file, base URL)`` once the server answers. The kernels
    inherit this environment without ``MPLBACKEND`` (it would hide the figures) and
    with one OpenBLAS thread unless one is set, and without the teacher's extensions
    (nbgrader) that the test tools install. Raises RuntimeError with the server's
    log if it does not start within ``timeout`` seconds.
    """
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.update({"JUPYTER_CONFIG_DIR": str(tmp / "jcfg"),
                "JUPYTERLAB_SETTINGS_DIR": str(tmp / "lab-settings"),
                "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "lab-ws"),
                "JUPYTER_RUNTIME_DIR": str(tmp / "runtime")})
    note = tmp / "lab-settings" / "@jupyterlab" / "apputils-extension"
    note.mkdir(parents=True)
    (note / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    _learner_extensions_only(tmp / "jcfg")
    port = _free_port()
    log = open(tmp / "lab.log", "w")  # noqa: SIM115 - closed by stop_lab
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--allow-root", "--no-browser",
         "--ip=127.0.0.1", f"--port={port}", "--ServerApp.token=", "--ServerApp.password=",
         f"--ServerApp.root_dir={root_dir}", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(root_dir))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/api/status", timeout=2):
                return proc, log, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_lab(proc, log)
                raise RuntimeError("JupyterLab did not start:\n"
                                   + (tmp / "lab.log").read_text()) from None
            time.sleep(0.25)


def stop_lab(proc: subprocess.Popen, log) -> None:
    """Stop the server (SIGTERM, then SIGKILL after 15 s) and close its log."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log.close()


def open_and_run_all(page, url: str, notebook: str) -> None:
    """Open ``notebook`` in a JupyterLab workspace of its own and press Run All Cells.

    Each notebook gets a fresh workspace (``/lab/workspaces/<name>/...?reset``): the
    default workspace would restore the tabs that an earlier test left open, and the
    Run menu would then act on whichever notebook JupyterLab made current.
    """
    name = Path(notebook).stem.replace(" ", "-")
    page.goto(f"{url}/lab/workspaces/{name}/tree/{notebook}?reset")
    page.wait_for_selector(".jp-Notebook", timeout=60000)
    page.wait_for_selector(f".lm-TabBar-tab.lm-mod-current >> text={Path(notebook).name}",
                           timeout=60000)
    page.wait_for_selector("#jp-main-statusbar >> text=Idle", timeout=60000)
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
