"""Live training widgets: ``TrainingDashboard``, ``GateExplorer`` and ``TextGenerator``.

Both are ``ipywidgets.VBox`` subclasses, so a widget displays when it is the
last expression of a cell. The numbers come from :class:`rnnlesson.training.Trainer`;
the pictures from :mod:`rnnlesson.viz`, rendered to PNG into ``ipywidgets.Image``.

How the live training works (and why):

* Start runs the training loop as an asyncio task (``asyncio.ensure_future``) on
  the kernel's own event loop. Each tick takes steps for about 20 ms, then
  ``await asyncio.sleep(0)`` hands control back, so the kernel can handle a Stop
  click or a slider change before the next tick. (A plain ``for`` loop in a cell
  would block those messages until it ends.)
* The loop only sets widget traits (``Image.value``, ``Label.value``,
  ``IntProgress.value``): no ``print``, no ``Output`` context, no ``clear_output``.
* Pictures are redrawn on a fixed beat, 10 times a second, and less often when
  drawing is slow (on average at most half of the time goes to drawing), so
  training keeps most of the CPU. A tick of training ends when a redraw is due,
  so the beat holds. The loss curve is redrawn every time; the slower-changing
  task picture every other time. The plots are :class:`rnnlesson.viz.LivePlot`
  objects: a redraw changes their data in place and draws only what changed.
* A run that blows up (NaN/inf, or the loss growing to 3x its start) ends with a
  status message, never a traceback; Reset starts again.

``run(steps)`` trains without the event loop (blocking) and draws once at the
end: for static pages, nbval and tests.
"""

from __future__ import annotations

import asyncio
import html
import math
import time
import warnings

import ipywidgets as w
import numpy as np

from . import viz
from ._snapshot import snapshot_png
from .lm_training import LMTrainer
from .training import Trainer, TrainingDiverged

__all__ = ["TrainingDashboard", "GateExplorer", "TextGenerator"]

_CELL_OPTIONS = [("SimpleRNN", "rnn"), ("LSTM", "lstm"), ("GRU", "gru")]
_CELL_NAMES = {v: k for k, v in _CELL_OPTIONS}


def _fmt(x) -> str:
    if x is None:
        return "-"
    if not math.isfinite(x):
        return str(x)
    return f"{x:.4f}" if 1e-3 <= abs(x) < 1e3 else f"{x:.2e}"


def _image() -> w.Image:
    """A PNG image shown at its own size (a flex box would otherwise stretch it)."""
    return w.Image(format="png", layout=w.Layout(max_width="100%", align_self="flex-start",
                                                 object_fit="contain"))


class _LiveTraining(w.VBox):
    """What both widgets share: the trainer, the buttons, the asyncio loop, the status."""

    #: seconds between two redraws (1/redraw_interval a second, unless drawing is slow)
    redraw_interval = 0.1
    #: seconds of training per tick before control goes back to the event loop
    tick_seconds = 0.02
    #: dots per inch of the live PNGs
    dpi = 80

    def __init__(self, trainer: Trainer, max_steps: int, learning_rate: float):
        if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) \
                or max_steps < 1:
            raise ValueError(f"max_steps must be a positive integer; got {max_steps!r}.")
        super().__init__()
        self.trainer = trainer
        self.max_steps = int(max_steps)
        self.job: asyncio.Task | None = None
        self._generation = 0
        self._stop_requested = False
        self._draw_average = 0.0  # seconds a redraw of the running loop takes, a moving average
        #: how many times, and when (``time.perf_counter()`` after each), the pictures were drawn
        self.redraw_count = 0
        self.redraw_times: list[float] = []
        self.lr_slider = w.FloatLogSlider(
            value=learning_rate, base=10, min=-4, max=1, step=0.1, description="learning rate",
            readout_format=".1e", continuous_update=False, style={"description_width": "initial"},
            layout=w.Layout(width="340px"))
        self.start_button = w.Button(description="Start", button_style="success", icon="play",
                                     tooltip="train until Stop or the step budget is used")
        self.stop_button = w.Button(description="Stop", button_style="warning", icon="stop",
                                    disabled=True, tooltip="pause; Start continues")
        self.reset_button = w.Button(description="Reset", icon="undo",
                                     tooltip="fresh weights (same seed: the same numbers again)")
        self.progress = w.IntProgress(value=0, min=0, max=self.max_steps, description="steps",
                                      layout=w.Layout(width="300px"))
        self.status_label = w.Label(value="", layout=w.Layout(width="100%"))
        self.start_button.on_click(lambda _b: self._guard(self.start))
        self.stop_button.on_click(lambda _b: self._guard(self.stop))
        self.reset_button.on_click(lambda _b: self._guard(self.reset))
        self.lr_slider.observe(self._on_lr, names="value")

    # ------------------------------------------------------------------ public
    @property
    def history(self) -> dict:
        """The trainer's history: a dict of lists, one entry per step (``'step'``, ``'loss'``,
        ``'grad_norm'``, ``'learning_rate'``, ``'time'``), plus the sparser validation
        lists ``'val_step'``, ``'val_loss'`` (every ``val_every`` steps and at step 1; the
        sentiment task adds ``'val_accuracy'``)."""
        return self.trainer.history

    @property
    def status(self) -> str:
        """The text of the status line."""
        return self.status_label.value

    @property
    def running(self) -> bool:
        """True while the training task is going."""
        return self.job is not None and not self.job.done()

    def start(self):
        """Start (or continue) training as an asyncio task; returns it (also ``.job``).

        Needs a running event loop (a Jupyter kernel has one). Does nothing if
        training is already running.
        """
        if self.running and not self._stop_requested:
            return self.job
        if self.trainer.diverged is not None:
            self._set_status("Training has stopped because it diverged. Lower the learning "
                             "rate and press Reset.")
            return None
        if self.trainer.step_count >= self.max_steps:
            self._set_status(f"All {self.max_steps} steps are done. Press Reset to train "
                             "again from the start.")
            return None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "Start trains in the background on a running asyncio event loop, which a "
                "Jupyter kernel has and a plain Python script does not; use run(steps) "
                "here instead.") from None
        if self.running:  # a stop was asked for but the old task has not ended yet
            self.job.cancel()
        self._stop_requested = False
        self._generation += 1
        self._draw_average = 0.0  # this run's redraws only (not the first, slower drawing)
        self.job = asyncio.ensure_future(self._loop(self._generation))
        self._set_buttons(running=True)
        self._set_status(self._summary("training"))
        return self.job

    def stop(self) -> None:
        """Stop training after the current tick (the model keeps what it learned)."""
        self._stop_requested = True
        if self.running:
            self.job.cancel()
        self._set_buttons(running=False)

    def reset(self) -> None:
        """Stop, then go back to step 0 with fresh weights from the same seed."""
        self.stop()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.trainer.reset(learning_rate=self.lr_slider.value, **self._model_settings())
        self._redraw()
        self._set_status(self._summary("ready") + " (reset: press Start)")

    def run(self, steps: int) -> None:
        """Train ``steps`` steps now, blocking (no event loop needed), then draw once."""
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise ValueError(f"run expects a non-negative number of steps; got {steps!r}.")
        if self.running:
            self.stop()
        message = None
        try:
            for _ in range(int(steps)):
                self.trainer.step(return_gates=False)
        except TrainingDiverged as exc:
            message = self._diverged_text(exc)
        self._redraw()
        self.progress.value = min(self.trainer.step_count, self.max_steps)
        self._set_status(message or self._summary("paused"))

    def snapshot(self) -> bytes:
        """A PNG of the widget as it stands: its title and status line above its pictures,
        laid out as on screen (the buttons and sliders are left out)."""
        return snapshot_png(self)

    def _repr_mimebundle_(self, **kwargs):
        # The snapshot goes beside the live view: Jupyter ranks the widget view first and
        # shows the live widget; a page without a kernel (the course website, nbviewer,
        # GitHub) shows the picture instead of an empty area.
        data = super()._repr_mimebundle_(**kwargs)
        try:
            data["image/png"] = self.snapshot()
        except Exception as exc:  # pragma: no cover - the live widget must still display
            warnings.warn(f"No static snapshot of the widget: {type(exc).__name__}: {exc}",
                          stacklevel=2)
        return data

    # ------------------------------------------------------------------ the loop
    async def _loop(self, generation: int) -> None:
        tr = self.trainer
        message = None
        state = "paused"
        due = time.perf_counter()  # when the next redraw is due: the first after one step
        try:
            while not self._stop_requested:
                if tr.step_count >= self.max_steps:
                    state = "finished"
                    break
                # a tick: steps until tick_seconds have passed or a redraw is due
                end = min(time.perf_counter() + self.tick_seconds, due)
                while True:
                    tr.step(return_gates=False)
                    if time.perf_counter() >= end or tr.step_count >= self.max_steps:
                        break
                now = time.perf_counter()
                if now >= due:
                    self._redraw()
                    self._set_status(self._summary("training"))
                    self.progress.value = min(tr.step_count, self.max_steps)
                    # a fixed beat; slow drawing stretches it so that on average at most
                    # half of the time goes to drawing. A redraw that overran the beat
                    # (the axes grew) delays the next by a tick of training, no more.
                    spacing = max(self.redraw_interval, 2 * self._draw_average)
                    due = max(due + spacing, time.perf_counter() + self.tick_seconds)
                await asyncio.sleep(0)
        except TrainingDiverged as exc:
            message = self._diverged_text(exc)
        except asyncio.CancelledError:
            state = "paused"
        except Exception as exc:  # never a traceback in the notebook: say what happened
            message = f"Training stopped by an error: {type(exc).__name__}: {exc}"
        finally:
            if generation == self._generation:
                try:
                    self._redraw()
                except Exception as exc:  # pragma: no cover - drawing failed: report it
                    message = message or f"Drawing failed: {type(exc).__name__}: {exc}"
                self.progress.value = min(tr.step_count, self.max_steps)
                self._set_buttons(running=False)
                self._set_status(message or self._summary(state))

    # ------------------------------------------------------------------ helpers
    def _guard(self, fn) -> None:
        """Run a button or slider action; show any error in the status line instead of raising."""
        try:
            fn()
        except Exception as exc:
            self._set_status(f"Error: {type(exc).__name__}: {exc}")

    def _set_buttons(self, running: bool) -> None:
        self.start_button.disabled = running
        self.stop_button.disabled = not running

    def _set_status(self, text: str) -> None:
        self.status_label.value = text

    def _diverged_text(self, exc: TrainingDiverged) -> str:
        return f"{exc} Lower the learning rate and press Reset."

    def _summary(self, state: str) -> str:
        tr = self.trainer
        h = tr.history
        loss = h["loss"][-1] if h["loss"] else None
        val = h["val_loss"][-1] if h["val_loss"] else None
        parts = [f"{state}: step {tr.step_count}/{self.max_steps}", f"loss {_fmt(loss)}",
                 f"val loss {_fmt(val)}"]
        if h.get("val_accuracy"):
            parts.append(f"val accuracy {h['val_accuracy'][-1]:.0%}")
        parts.append(f"learning rate {tr.learning_rate:.2g}")
        return " | ".join(parts)

    def _on_lr(self, change) -> None:
        try:
            self.trainer.learning_rate = float(change["new"])
        except (TypeError, ValueError) as exc:
            self._set_status(f"Learning rate not changed: {exc}")
            return
        self._set_status(self._summary("training" if self.running else "ready")
                         + f" (learning rate now {self.trainer.learning_rate:.2g})")

    def _rebuild(self, _change=None) -> None:
        """A structural setting changed (hidden size, cell): new model, history from 0."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.trainer.reset(learning_rate=self.lr_slider.value, **self._model_settings())
        self._redraw()
        self.progress.value = 0
        s = self._model_settings()
        what = f"{_CELL_NAMES[self.trainer.cell]} with {s['hidden_size']} hidden units"
        self._set_status(self._summary("training" if self.running else "ready")
                         + f" (new model: {what})")

    def _redraw(self) -> None:
        t0 = time.perf_counter()
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            self._draw()
        t1 = time.perf_counter()
        # a redraw that builds or lays out a picture (a few in a run) takes several times
        # longer than one that blits: a small weight keeps one of them from holding up
        # the next few redraws
        self._draw_average += 0.2 * (t1 - t0 - self._draw_average)
        self.redraw_count += 1
        self.redraw_times.append(t1)

    def _show(self, image: w.Image, fig) -> None:
        """Put ``fig`` into ``image`` (a live plot's figure draws only what changed; an
        unchanged picture gives the same bytes, which the widget does not send again)."""
        image.value = viz.figure_to_png(fig, dpi=self.dpi, compress_level=1)

    # subclasses
    def _model_settings(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _draw(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class TrainingDashboard(_LiveTraining):
    """Train a small RNN live: loss curves and a picture of what the model predicts.

    Args:
        task: ``'sine'`` (predict the next value of a noisy sine), ``'sentiment'`` (toy
            phrases, positive or negative) or ``'adding'`` (add the two marked numbers).
        cell: ``'rnn'`` (SimpleRNN), ``'lstm'`` or ``'gru'``.
        hidden_size: H, the recurrent layer's units (slider 1-64; changing it rebuilds
            the model).
        learning_rate: Adam's learning rate (log slider 1e-4 to 10; applies live).
        seed: seeds weights, data and minibatch order: Reset gives the same numbers.
        max_steps: the step budget of one training run (the progress bar).
        **trainer_options: passed on to :class:`~rnnlesson.training.Trainer`
            (``global_clipnorm``, ``batch_size``, ``val_every``, ``task_options``...).

    Attributes:
        history: dict of lists, one entry per step (see :attr:`history`); ``'val_loss'``
            is sparser (every ``val_every`` = 10 steps and at step 1), with its steps in
            ``'val_step'``.
        status: the text of the status line.
        job: the asyncio task while training runs (None before the first Start).
    """

    def __init__(self, task="sine", cell="lstm", hidden_size=16, learning_rate=1e-2, seed=0,
                 *, max_steps=20000, **trainer_options):
        trainer = Trainer(task, cell, hidden_size, learning_rate, seed=seed, **trainer_options)
        super().__init__(trainer, max_steps, learning_rate)
        self.cell_dropdown = w.Dropdown(options=_CELL_OPTIONS, value=trainer.cell,
                                        description="cell", layout=w.Layout(width="200px"))
        self.hidden_slider = w.IntSlider(value=trainer.hidden_size, min=1,
                                         max=max(64, trainer.hidden_size), step=1,
                                         description="hidden size", continuous_update=False,
                                         style={"description_width": "initial"},
                                         layout=w.Layout(width="300px"))
        self.loss_image = _image()
        self.task_image = _image()
        self.hidden_slider.observe(lambda ch: self._guard(self._rebuild), names="value")
        self.cell_dropdown.observe(lambda ch: self._guard(self._rebuild), names="value")
        self._loss_plot = viz.LossCurves(figsize=(5.6, 3.3))
        self._task_fig = None
        title = w.HTML(f"<b>Training dashboard</b>: {trainer.task.title}")
        self.children = [
            title,
            w.HBox([self.cell_dropdown, self.hidden_slider, self.lr_slider]),
            w.HBox([self.start_button, self.stop_button, self.reset_button, self.progress]),
            self.status_label,
            w.HBox([self.loss_image, self.task_image], layout=w.Layout(flex_flow="row wrap")),
        ]
        self._redraw()
        self._set_status(self._summary("ready") + " (press Start)")

    def _model_settings(self) -> dict:
        return {"cell": self.cell_dropdown.value, "hidden_size": int(self.hidden_slider.value)}

    def _draw(self) -> None:
        tr = self.trainer
        self._loss_plot.update(tr.history, title=f"Loss ({_CELL_NAMES[tr.cell]}, H = "
                                                 f"{tr.hidden_size})")
        self._show(self.loss_image, self._loss_plot.figure)
        # the task picture changes slowly: while training, redraw it every other time
        if self.redraw_count % 2 == 0 or self._task_fig is None or not self.running:
            self._task_fig = viz.task_view(tr.view(), fig=self._task_fig)
            self._show(self.task_image, self._task_fig)


class GateExplorer(_LiveTraining):
    """Watch an LSTM's gates while it learns: heatmaps over the time steps of one sequence.

    The default task is the adding problem (T = 20): two numbers are marked, the
    answer is their sum. As the LSTM learns, the input gate opens at the marked
    steps, the forget gate stays near 1 in between (keeping what was stored), and
    the cell state holds the running sum.

    Args:
        seed: seeds weights, data and minibatch order: Reset gives the same numbers.
        task: ``'adding'`` or ``'sentiment'`` (words on the time axis).
        hidden_size: H, the LSTM's units (slider; changing it rebuilds the model).
        learning_rate: Adam's learning rate (log slider; applies live).
        max_steps: the step budget of one run.
        task_options: passed to the task (default ``{'T': 20}`` for 'adding').
        **trainer_options: passed on to :class:`~rnnlesson.training.Trainer`.
    """

    def __init__(self, seed=0, task="adding", hidden_size=8, learning_rate=1e-2, *,
                 max_steps=10000, task_options=None, **trainer_options):
        if task_options is None and task == "adding":
            task_options = {"T": 20}
        trainer = Trainer(task, "lstm", hidden_size, learning_rate, seed=seed,
                          task_options=task_options, **trainer_options)
        super().__init__(trainer, max_steps, learning_rate)
        self.hidden_slider = w.IntSlider(value=trainer.hidden_size, min=1,
                                         max=max(32, trainer.hidden_size), step=1,
                                         description="hidden size", continuous_update=False,
                                         style={"description_width": "initial"},
                                         layout=w.Layout(width="300px"))
        self.hidden_slider.observe(lambda ch: self._guard(self._rebuild), names="value")
        self.gate_image = _image()
        self.loss_image = _image()
        self.task_image = _image()
        self._gate_plot = viz.GateHeatmaps(figsize=(8.4, 5.6))
        self._loss_plot = viz.LossCurves(figsize=(4.6, 3.4))
        self._task_fig = None
        task_obj = trainer.task
        labels = task_obj.probe_labels
        self._highlight = ([t for t, s in enumerate(labels) if s == "*"]
                           if task_obj.name == "adding" and labels else None)
        self._input_names = ["value", "marker"] if task_obj.name == "adding" else None
        # the raw input is shown only when it is a few readable channels
        probe = np.asarray(task_obj.probe)
        self._show_inputs = probe.ndim == 3 and probe.shape[-1] <= 4
        title = w.HTML(f"<b>LSTM gate explorer</b>: {task_obj.title}; the heatmaps show one "
                       "validation sequence")
        self.children = [
            title,
            w.HBox([self.hidden_slider, self.lr_slider]),
            w.HBox([self.start_button, self.stop_button, self.reset_button, self.progress]),
            self.status_label,
            self.gate_image,
            w.HBox([self.loss_image, self.task_image], layout=w.Layout(flex_flow="row wrap")),
        ]
        self._redraw()
        self._set_status(self._summary("ready") + " (press Start)")

    def _model_settings(self) -> dict:
        return {"cell": "lstm", "hidden_size": int(self.hidden_slider.value)}

    @property
    def gates(self) -> dict:
        """The current gate activations on the probe sequence, each (T, H)."""
        return self.trainer.probe_gates()

    def _draw(self) -> None:
        tr = self.trainer
        self._gate_plot.update(tr.probe_gates(),
                               inputs=tr.task.probe if self._show_inputs else None,
                               labels=tr.task.probe_labels, highlight=self._highlight,
                               input_names=self._input_names)
        self._show(self.gate_image, self._gate_plot.figure)
        # the small pictures change slowly: redraw them every other time
        if self.redraw_count % 2 == 0 or self._task_fig is None or not self.running:
            self._loss_plot.update(tr.history)
            self._show(self.loss_image, self._loss_plot.figure)
            self._task_fig = viz.task_view(tr.view(), fig=self._task_fig)
            self._show(self.task_image, self._task_fig)



class TextGenerator(_LiveTraining):
    """Train a character language model live, and read what it writes as it learns.

    An ``Embedding -> LSTM -> Dense`` model (:class:`~rnnlesson.lm_training.LMTrainer`)
    reads tiny-shakespeare window by window; the loss curve (training and held-out
    text) grows while it trains, and every ``sample_every`` steps a new sample of
    ``sample_length`` characters replaces the last. The first samples are noise; after
    a few hundred steps words, line breaks and speaker names appear.

    The temperature slider (0 = always the likeliest character; above 1, wilder) and
    the prompt box (the text the model reads after the held-out text's first speeches,
    see :meth:`LMTrainer.sample <rnnlesson.lm_training.LMTrainer.sample>`) apply at
    once: the sample is written again from the current model, with the same random
    numbers, so what changes is what they change. Both use ``continuous_update=False``:
    the slider applies on release, the prompt on Enter.

    Args:
        text: the text to learn (None: tiny-shakespeare).
        hidden_size: H, the LSTM's units.
        learning_rate: Adam's learning rate (log slider; applies live).
        seed: seeds weights and samples: Reset gives the same numbers again.
        temperature, prompt: the starting values of the slider and the box.
        sample_every: steps between two samples while training (``run(steps)`` always
            ends on a fresh sample).
        sample_length: characters per sample.
        max_steps: the step budget of one run.
        **trainer_options: passed to :class:`~rnnlesson.lm_training.LMTrainer`
            (``batch_size``, ``seq_len``, ``embedding_dim``, ``val_every``...).

    Attributes:
        sample: the text of the sample shown (without its prompt).
        history, status, job: as :class:`TrainingDashboard`; the history also has
            ``'val_bpc'``, bits per character on the held-out text.
    """

    def __init__(self, text=None, hidden_size=128, learning_rate=2e-3, seed=0, *,
                 temperature=0.8, prompt="ROMEO:", sample_every=200, sample_length=300,
                 max_steps=5000, **trainer_options):
        trainer = LMTrainer(text, hidden_size=hidden_size, learning_rate=learning_rate,
                            seed=seed, **trainer_options)
        if isinstance(sample_every, bool) or not isinstance(sample_every, (int, np.integer)) \
                or sample_every < 1:
            raise ValueError(f"sample_every must be a positive integer; got {sample_every!r}.")
        if isinstance(sample_length, bool) or not isinstance(sample_length, (int, np.integer)) \
                or sample_length < 1:
            raise ValueError(f"sample_length must be a positive integer; got {sample_length!r}.")
        super().__init__(trainer, max_steps, learning_rate)
        self.sample_every, self.sample_length = int(sample_every), int(sample_length)
        self.temperature_slider = w.FloatSlider(
            value=temperature, min=0.0, max=2.0, step=0.05, description="temperature",
            readout_format=".2f", continuous_update=False,
            style={"description_width": "initial"}, layout=w.Layout(width="300px"))
        self.prompt_box = w.Text(value=prompt, description="prompt", continuous_update=False,
                                 placeholder="the text the model reads first",
                                 layout=w.Layout(width="320px"))
        self.sample_html = w.HTML(layout=w.Layout(width="100%"))
        self.loss_image = _image()
        self._loss_plot = viz.LossCurves(figsize=(5.0, 3.2))
        self.sample = ""
        self.sample_count = 0
        self._sample_step = None  # the step the shown sample was written at
        self.temperature_slider.observe(lambda ch: self._guard(self._resample), names="value")
        self.prompt_box.observe(lambda ch: self._guard(self._resample), names="value")
        v = len(trainer.vocab)
        title = w.HTML(f"<b>Text generator</b>: a character LSTM ({v} characters, "
                       f"H = {trainer.hidden_size}) learns to write like its text")
        self.children = [
            title,
            w.HBox([self.lr_slider, self.temperature_slider, self.prompt_box],
                   layout=w.Layout(flex_flow="row wrap")),
            w.HBox([self.start_button, self.stop_button, self.reset_button, self.progress]),
            self.status_label,
            w.HBox([self.loss_image, self.sample_html], layout=w.Layout(flex_flow="row wrap")),
        ]
        self._redraw()
        self._set_status(self._summary("ready") + " (press Start)")

    def _model_settings(self) -> dict:
        return {"hidden_size": self.trainer.hidden_size}

    def _summary(self, state: str) -> str:
        text = super()._summary(state)
        bpc = self.trainer.history["val_bpc"]
        return text + (f" | val bits/char {bpc[-1]:.2f}" if bpc else "")

    def run(self, steps: int) -> None:
        """Train ``steps`` steps now, blocking, then draw once, with a sample written by
        the model as it is after them (whatever ``sample_every`` says)."""
        super().run(steps)
        if self._sample_step != self.trainer.step_count:
            self._resample()

    def _resample(self, _change=None) -> None:
        """Write the sample again from the current model, prompt and temperature."""
        tr = self.trainer
        prompt = self.prompt_box.value
        try:
            self.sample = tr.sample(self.sample_length, temperature=self.temperature_slider.value,
                                    prompt=prompt)
        except ValueError as exc:  # a character the text does not have: say so, keep the old
            self._set_status(f"Prompt not used: {exc}")
            return
        self._sample_step = tr.step_count
        self.sample_count += 1
        shown = prompt or "\n"
        self.sample_html.value = (
            f"<div style='font-size:12px;color:#555'>Sample at step {tr.step_count}, "
            f"temperature {self.temperature_slider.value:.2f}</div>"
            "<pre style='font-size:12px;line-height:1.25;white-space:pre-wrap;margin:2px 0;"
            "max-width:560px'>"
            f"<b>{html.escape(shown)}</b>{html.escape(self.sample)}</pre>")

    def _draw(self) -> None:
        tr = self.trainer
        self._loss_plot.update(tr.history, title="Loss per character (nats)")
        self._show(self.loss_image, self._loss_plot.figure)
        last = self._sample_step
        if last is None or tr.step_count < last or tr.step_count - last >= self.sample_every:
            self._resample()
