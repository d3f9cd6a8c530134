"""How fast the live dashboard trains and redraws in a real browser, and how fast it answers.

Starts a private JupyterLab (as tests/browser does), opens a notebook holding a
``TrainingDashboard(task='sine')`` in headless Chromium, presses Start, lets it
train while the pictures render in the page, drags the learning-rate slider a few
times, then presses Stop. The kernel writes its history (a time stamp per step,
the learning rate each step used, the redraw times) to a file when Stop is
clicked; this script reads it and reports:

* training steps per second while rendering (before the first slider drag);
* redraws per second in the same window;
* latency from releasing the slider (mouse up in the browser) to the end of the
  first training step that used the new learning rate. Both clocks are
  ``time.perf_counter()`` (CLOCK_MONOTONIC on Linux, shared by all processes);
* what limits them: each redraw's wall-clock and CPU time in the kernel (their
  medians), and the CPU the kernel, the server, the browser and other programs
  used while it trained, in cores (from /proc): on a shared machine a kernel that
  gets less than a core draws and trains more slowly in wall-clock time.

Also, for scale, the same trainer's steps per second with no widget at all, and
the CPU time of one step and of one redraw measured in this process: those do
not depend on how loaded the machine is, and project what one free core does.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_widgets.py [--seconds 10]``.
Needs Chromium (``chromium`` on PATH) and the playwright package. Results are
printed and written to benchmarks/results/widgets.json (gitignored). The numbers
depend on the machine and its load; read them as a snapshot of one run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
from labserver import CHROMIUM_ARGS, open_and_run_all, start_lab, stop_lab  # noqa: E402 - path set just above


def write_notebook(path: Path, out_file: Path) -> None:
    import nbformat

    src = f"""import json, time
from rnnlesson.widgets import TrainingDashboard
d = TrainingDashboard(task="sine", cell="lstm", hidden_size=16, learning_rate=1e-2, seed=0,
                      max_steps=10**7)

# each redraw's wall-clock and CPU seconds in the kernel
costs = []
_redraw = d._redraw
def _timed_redraw():
    t0, c0 = time.perf_counter(), time.process_time()
    _redraw()
    costs.append((t0, time.perf_counter() - t0, time.process_time() - c0))
d._redraw = _timed_redraw

def _dump(_button):
    h = d.history
    with open({str(out_file)!r}, "w") as f:
        json.dump({{"time": h["time"], "learning_rate": h["learning_rate"],
                   "redraw_times": d.redraw_times, "redraw_costs": costs}}, f)

d.stop_button.on_click(_dump)
d"""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)


def _process_tree() -> dict:
    """{pid: (parent pid, CPU seconds used so far)} of every process /proc shows."""
    tick = os.sysconf("SC_CLK_TCK")
    tree = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                text = f.read()
        except OSError:  # ended meanwhile
            continue
        fields = text[text.rindex(")") + 2:].split()  # after the command name
        tree[int(name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return tree


def _descendants(tree: dict, root: int) -> set:
    children = {}
    for pid, (parent, _) in tree.items():
        children.setdefault(parent, []).append(pid)
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo += children.get(pid, [])
    return found


def cpu_snapshot(lab_pid: int) -> dict:
    """CPU seconds used so far by the kernel, the server, the browser, and the whole machine.

    The kernel runs under the server; Playwright's driver and Chromium under this
    process. The machine's busy time (from /proc/stat) less ours is what other
    programs took.
    """
    tree = _process_tree()
    lab = _descendants(tree, lab_pid)
    browser = _descendants(tree, os.getpid()) - lab - {os.getpid()}
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    busy = (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle, iowait
    return {"kernel": sum(tree[p][1] for p in lab - {lab_pid} if p in tree),
            "server": tree[lab_pid][1] if lab_pid in tree else 0.0,
            "browser": sum(tree[p][1] for p in browser if p in tree),
            "machine": busy}


def bare_steps_per_second(n=1000) -> float:
    from rnnlesson.training import Trainer

    tr = Trainer("sine", "lstm", 16, 1e-2, seed=0)
    tr.run(50)
    t0 = time.perf_counter()
    tr.run(n)
    return n / (time.perf_counter() - t0)


def cpu_costs(redraws=20) -> dict:
    """CPU seconds per training step and per dashboard redraw, in this process (no browser).

    CPU time is what one core spends, so it does not grow when other programs load
    the machine (wall-clock numbers in the browser do).
    """
    from rnnlesson.widgets import TrainingDashboard

    d = TrainingDashboard(task="sine", cell="lstm", hidden_size=16, learning_rate=1e-2, seed=0,
                          max_steps=10**7)
    d.run(3000)
    c0 = time.process_time()
    d.trainer.run(1000)
    step_cpu = (time.process_time() - c0) / 1000
    for _ in range(3):
        d._redraw()
    loss_only, both = [], []
    for k in range(redraws):
        d.trainer.run(20)
        c0 = time.process_time()
        d._redraw()
        (both if k % 2 == 0 else loss_only).append(time.process_time() - c0)
    # the live loop redraws the loss every time and the task picture every other time
    redraw_cpu = (sum(both) + sum(loss_only)) / redraws
    from rnnlesson.widgets import GateExplorer

    g = GateExplorer(seed=0, max_steps=10**7)
    g.run(500)
    for _ in range(3):
        g._redraw()
    gate = []
    for _ in range(redraws):
        g.trainer.run(5)
        c0 = time.process_time()
        g._redraw()
        gate.append(time.process_time() - c0)
    gate_cpu = sum(gate) / redraws
    return {"cpu_s_per_step": step_cpu, "cpu_s_per_redraw": redraw_cpu,
            "gate_explorer_cpu_s_per_redraw": gate_cpu,
            "projected_one_core_steps_per_s_at_10_redraws": (1 - 10 * redraw_cpu) / step_cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="training time before the drags")
    ap.add_argument("--drags", type=int, default=4, help="number of slider drags")
    args = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("Chromium is not installed (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench-widgets-"))
    work = tmp / "work"
    work.mkdir()
    out_file = tmp / "history.json"
    write_notebook(work / "bench.ipynb", out_file)
    proc, log, url = start_lab(tmp, work)
    releases = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True,
                                        args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            open_and_run_all(page, url, "bench.ipynb")
            out = page.locator(".jp-OutputArea-output", has_text="Training dashboard").first
            out.locator("button", has_text="Start").wait_for(timeout=60000)
            time.sleep(1.0)
            cpu_start, t_cpu0 = cpu_snapshot(proc.pid), time.perf_counter()
            out.locator("button", has_text="Start").click()
            time.sleep(args.seconds)
            cpu_end, t_cpu1 = cpu_snapshot(proc.pid), time.perf_counter()
            handle = out.locator(".widget-hslider").nth(1).locator(".noUi-handle")
            for k in range(args.drags):
                box = handle.bounding_box()
                x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
                page.mouse.move(x, y)
                page.mouse.down()
                page.mouse.move(x + (-25 if k % 2 == 0 else 25), y, steps=5)
                # the time stamp is taken just before the release is sent: the kernel can
                # apply the new rate before mouse.up() returns here
                t_up = time.perf_counter()
                page.mouse.up()
                readout = out.locator(".widget-hslider").nth(1).locator(".widget-readout")
                releases.append((t_up, float(readout.text_content())))
                time.sleep(2.0)
            out.locator("button", has_text="Stop").click()
            deadline = time.monotonic() + 30
            while not out_file.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)
            browser.close()
    finally:
        stop_lab(proc, log)
    data = json.loads(out_file.read_text())
    times, lrs, redraws = data["time"], data["learning_rate"], data["redraw_times"]
    # window: from the first live step to the first slider release
    t_first = times[0]
    t_end = releases[0][0] if releases else times[-1]
    n_steps = sum(1 for t in times if t <= t_end)
    window = t_end - t_first
    n_redraws = sum(1 for t in redraws if t_first <= t <= t_end)
    drawn = [(wall, cpu) for t0, wall, cpu in data["redraw_costs"] if t_first <= t0 <= t_end]
    # CPU used from the Start click to just before the first drag, as cores in use
    cores = {k: (cpu_end[k] - cpu_start[k]) / (t_cpu1 - t_cpu0) for k in cpu_start}
    cores["other programs"] = cores.pop("machine") - sum(cores.values())
    latencies = []
    unchanged = 0
    for k, (r, value) in enumerate(releases):
        t_next = releases[k + 1][0] if k + 1 < len(releases) else math.inf
        idx = next((i for i, t in enumerate(times) if t >= r), None)
        if idx is None:
            continue
        prev = lrs[idx - 1] if idx > 0 else lrs[0]
        if abs(value - prev) <= 0.06 * prev:  # this drag did not change the rate
            unchanged += 1
            continue
        # the first step after the release (and before the next) that used the shown rate
        j = next((i for i in range(idx, len(lrs)) if times[i] < t_next
                  and abs(lrs[i] - value) <= 0.06 * value), None)
        if j is not None:
            latencies.append(times[j] - r)
    bare = bare_steps_per_second()
    costs = cpu_costs()
    res = {
        "steps_per_second_while_rendering": (n_steps - 1) / window,
        "redraws_per_second": n_redraws / window,
        "slider_release_to_first_step_s": latencies,
        "drags_that_did_not_change_the_rate": unchanged,
        "slider_latency_median_s": sorted(latencies)[len(latencies) // 2] if latencies else None,
        "bare_trainer_steps_per_second": bare,
        "window_s": window,
        "redraw_wall_s_median": sorted(w for w, _ in drawn)[len(drawn) // 2] if drawn else None,
        "redraw_cpu_s_median": sorted(c for _, c in drawn)[len(drawn) // 2] if drawn else None,
        "cores_in_use_while_training": {k: round(v, 2) for k, v in cores.items()},
        "cores": os.cpu_count(),
        "steps_in_window": n_steps,
        **costs,
        "load_average": os.getloadavg(),
    }
    print(json.dumps(res, indent=2))
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "widgets.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
