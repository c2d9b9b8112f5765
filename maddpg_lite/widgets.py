"""Gumbel-softmax pictures and the temperature explorer widget.

Taught in notebooks/03_gumbel_softmax.ipynb.

Neuromatch style: everything the widget shows is computed by plain functions
(:func:`explorer_stats`, :func:`grad_tradeoff`) and drawn by plain functions
(:func:`draw_explorer`, :func:`tau_panel_figure`, :func:`grad_tradeoff_figure`), so
all of it runs and is tested without a browser. :func:`gumbel_explorer` only wires
sliders to them. All sampling goes through :mod:`maddpg_lite.functional`, with a
seeded ``torch.Generator`` so that every picture is reproducible.

Figures are plain ``matplotlib.figure.Figure`` objects, not registered with pyplot:
a notebook shows one when it is the last value of a cell, a script saves it with
``fig.savefig(path)``, and nothing is drawn twice.
"""

from __future__ import annotations

import base64
import functools
import io

import numpy as np
import torch
from matplotlib.figure import Figure

from .functional import gumbel_softmax, gumbel_softmax_sample
from .i18n import _, _fig

TAU_MIN, TAU_MAX = 10 ** -1.3, 10.0
"""Range of the explorer's tau slider (log scale, about 0.05 to 10)."""
TAU_GRID = np.geomspace(TAU_MIN, TAU_MAX, 31)
"""Temperatures of the explorer's "statistics against tau" panel."""
PANEL_TAUS = (0.1, 0.5, 1.0, 5.0)
"""Temperatures of :func:`tau_panel_figure`."""
EXPLORER_FIGSIZE = (9.2, 4.4)
"""Inches of the explorer's figure: at :data:`EXPLORER_DPI` it is 920 px wide, the width of a
JupyterLab output area on a 1366-px laptop screen at 100% zoom, so it is shown without shrinking."""
EXPLORER_DPI = 100
"""Resolution of the explorer's picture; 1 pt of font is 100/72 = 1.4 px on the screen."""
EXPLORER_FONTSIZE = 9
"""Font size (pt) of the explorer's legends and tick labels: 12.5 px at :data:`EXPLORER_DPI`."""


def _probs(probs) -> np.ndarray:
    """``(K,)`` weights -> ``(K,)`` probabilities (float64, sum 1). Raises on bad input."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 1 or len(p) < 2 or not np.all(np.isfinite(p)) or np.any(p <= 0):
        raise ValueError(f"probs must be K >= 2 positive finite weights, got {probs!r}")
    return p / p.sum()


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


def _category_colors(k: int) -> list[str]:
    return [f"C{i % 10}" for i in range(k)]


# ----- what the explorer computes ---------------------------------------------------------------

def explorer_stats(probs, tau: float, n_samples: int = 2000, hard: bool = False, seed: int = 0,
                   n_show: int = 6, tau_grid=None) -> dict:
    """Everything the explorer draws, for one setting of its sliders.

    Draws ``n_samples`` Gumbel-softmax samples of the categorical distribution ``p``
    (``logits = log p``) at temperature ``tau``, with noise from ``torch.Generator``
    seeded with ``seed``. The same noise is reused for every temperature of
    ``tau_grid`` (common random numbers), so the curves against tau are smooth and the
    argmax of the samples is exactly the same at every tau.

    Args:
        probs: ``(K,)`` positive weights, normalised to probabilities ``p``.
        tau: temperature > 0.
        n_samples: number of samples N.
        hard: ``False``: soft samples ``y = softmax((log p + g) / tau)``; ``True``: the
            straight-through forward value, the one-hot of ``argmax y``.
        seed: seed of the Gumbel noise.
        n_show: number of samples kept in ``"samples"``.
        tau_grid: ``(G,)`` temperatures for the curves; default :data:`TAU_GRID`.

    Returns:
        dict of numpy arrays and numbers:
        ``"probs"`` ``(K,)`` p; ``"tau"``, ``"hard"``, ``"n_samples"``, ``"seed"``;
        ``"argmax_freq"`` ``(K,)`` frequency of each category as argmax of the samples;
        ``"sample_mean"`` ``(K,)`` mean of the samples (soft or hard);
        ``"samples"`` ``(n_show, K)`` the first samples (soft or hard);
        ``"mean_max_prob"``, ``"entropy"``: mean over the soft samples at ``tau`` of
        ``max_k y_k`` and of ``-sum_k y_k log y_k`` (nats);
        ``"tau_grid"`` ``(G,)``, ``"grid_mean_max_prob"`` ``(G,)``, ``"grid_entropy"`` ``(G,)``:
        the same two statistics of the soft samples at each temperature of the grid.
    """
    p = _probs(probs)
    k = len(p)
    logits = torch.log(torch.as_tensor(p, dtype=torch.float32)).expand(int(n_samples), k)

    def soft(t):  # (N, K) soft samples at temperature t, always from the same noise
        return gumbel_softmax_sample(logits, float(t), generator=_generator(seed))

    def max_prob_and_entropy(y):
        return float(y.max(-1).values.mean()), float(-torch.special.xlogy(y, y).sum(-1).mean())

    y = gumbel_softmax(logits, float(tau), hard=True, generator=_generator(seed)) if hard else soft(tau)
    grid = np.asarray(TAU_GRID if tau_grid is None else tau_grid, dtype=np.float64)
    grid_stats = np.array([max_prob_and_entropy(soft(t)) for t in grid]).reshape(len(grid), 2)
    mean_max_prob, entropy = max_prob_and_entropy(soft(tau))
    argmax = y.argmax(-1).numpy()
    return {
        "probs": p, "tau": float(tau), "hard": bool(hard), "n_samples": int(n_samples), "seed": int(seed),
        "argmax_freq": np.bincount(argmax, minlength=k) / len(argmax),
        "sample_mean": y.mean(0).numpy().astype(np.float64),
        "samples": y[:n_show].numpy().astype(np.float64),
        "mean_max_prob": mean_max_prob, "entropy": entropy,
        "tau_grid": grid, "grid_mean_max_prob": grid_stats[:, 0], "grid_entropy": grid_stats[:, 1],
    }


# ----- how it is drawn --------------------------------------------------------------------------

def draw_simplex_bars(ax, probs, samples, sample_labels=None) -> None:
    """Draw ``probs`` (top row) and each row of ``samples`` (``(S, K)``) as a horizontal bar
    cut into K coloured pieces of lengths ``y_1 .. y_K``: a one-hot sample is a single colour,
    a uniform one K equal pieces."""
    probs = np.asarray(probs, dtype=np.float64)
    samples = np.asarray(samples, dtype=np.float64)
    rows = np.vstack([probs, samples])
    labels = ["p"] + list(sample_labels or [f"y{s + 1}" for s in range(len(samples))])
    colors = _category_colors(len(probs))
    left = np.zeros(len(rows))
    for k in range(len(probs)):
        ax.barh(np.arange(len(rows)), rows[:, k], left=left, color=colors[k], edgecolor="white",
                linewidth=0.5, height=0.8, label=_fig("category {number}").format(number=k + 1))
        left += rows[:, k]
    ax.set_yticks(np.arange(len(rows)), labels)
    ax.invert_yaxis()
    ax.axhline(0.5, color="black", lw=0.8)
    ax.set_xlim(0, 1)


def draw_explorer(fig: Figure, stats: dict) -> list:
    """Clear ``fig`` and draw the three panels of the explorer from :func:`explorer_stats`.

    Left: p against the argmax frequency and the mean of the samples.
    Middle: the first samples as bars cut into K pieces.
    Right: mean max-probability and entropy / log K of the soft samples against tau,
    with the current tau marked (a vertical line).
    The title names the current tau. The legends sit below their panels, where they hide no data
    whatever the sliders say. Returns the three axes.
    """
    fig.clear()
    axes = fig.subplots(1, 3, width_ratios=[1.0, 1.0, 1.25])
    p, k = stats["probs"], len(stats["probs"])
    kind = _fig("one-hot (hard)") if stats["hard"] else _fig("soft")
    fig.suptitle(_fig("Gumbel-softmax at tau = {tau}: {n} {kind} samples of p = ({p})").format(
        tau=f"{stats['tau']:.3g}", n=stats["n_samples"], kind=kind, p=", ".join(f"{v:.2f}" for v in p)),
        fontsize=EXPLORER_FONTSIZE + 2)
    legend = dict(fontsize=EXPLORER_FONTSIZE, loc="upper center", frameon=False, handlelength=1.5,
                  columnspacing=1.0)

    ax = axes[0]
    x, width = np.arange(k), 0.27
    ax.bar(x - width, p, width, color="lightgray", edgecolor="black", label="p = softmax(logits)")
    ax.bar(x, stats["argmax_freq"], width, color=_category_colors(k), label=_fig("argmax frequency"))
    ax.bar(x + width, stats["sample_mean"], width, color=_category_colors(k), alpha=0.4, hatch="//",
           label=_fig("mean of the samples"))
    ax.set_xticks(x, [f"{i + 1}" for i in range(k)])
    ax.set_xlabel(_fig("category"), fontsize=EXPLORER_FONTSIZE)
    ax.set_ylim(0, 1)
    ax.set_title(_fig("argmax of the samples follows p"), fontsize=EXPLORER_FONTSIZE + 1)
    ax.legend(bbox_to_anchor=(0.5, -0.17), ncol=1, **legend)

    ax = axes[1]
    draw_simplex_bars(ax, p, stats["samples"])
    ax.set_title(_fig("first {n} {kind} samples").format(n=len(stats["samples"]), kind=kind),
                 fontsize=EXPLORER_FONTSIZE + 1)
    ax.set_xlabel(_fig("y_1, ..., y_K stacked"), fontsize=EXPLORER_FONTSIZE)

    ax = axes[2]
    grid = stats["tau_grid"]
    ax.plot(grid, stats["grid_mean_max_prob"], color="C3", label=_fig("mean max_k y_k"))
    ax.plot(grid, stats["grid_entropy"] / np.log(k), color="C4", label=_fig("mean entropy / log K"))
    ax.axhline(1 / k, color="gray", ls=":", lw=1, label=_fig("1/K (uniform)"))
    ax.axvline(stats["tau"], color="black", lw=1, ls="--", label=_fig("current tau"))
    ax.plot([stats["tau"]] * 2, [stats["mean_max_prob"], stats["entropy"] / np.log(k)], "ko", ms=4)
    ax.set_xscale("log")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(_fig("temperature tau"), fontsize=EXPLORER_FONTSIZE)
    ax.set_title(_fig("soft samples: one-hot \u2192 uniform"), fontsize=EXPLORER_FONTSIZE + 1)
    ax.legend(bbox_to_anchor=(0.5, -0.17), ncol=2, **legend)
    for ax in axes:
        ax.tick_params(labelsize=EXPLORER_FONTSIZE)
    return list(axes)


def tau_panel_figure(probs=(0.5, 0.3, 0.2), taus=PANEL_TAUS, n_show: int = 6, seed: int = 0) -> Figure:
    """A static picture of the temperature: one panel per tau, each showing p and the same
    ``n_show`` Gumbel noise draws turned into soft samples at that tau (only tau changes
    from panel to panel). Returns the Figure (``len(taus)`` axes)."""
    p = _probs(probs)
    logits = torch.log(torch.as_tensor(p, dtype=torch.float32)).expand(n_show, len(p))
    fig = Figure(figsize=(2.6 * len(taus) + 0.6, 2.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(taus)))
    for i, (ax, tau) in enumerate(zip(axes, taus)):
        y = gumbel_softmax_sample(logits, float(tau), generator=_generator(seed))
        draw_simplex_bars(ax, p, y.numpy())
        ax.set_title(f"tau = {tau:g}", fontsize=10)
        if i:
            ax.tick_params(labelleft=False)
    fig.suptitle(_fig("The same {n} Gumbel noise draws at {temperatures} temperatures: "
                      "small tau gives nearly one-hot samples, large tau nearly uniform ones").format(
        n=n_show, temperatures=len(taus)), fontsize=10)
    return fig


# ----- the straight-through gradient against tau ------------------------------------------------

def grad_tradeoff(logits, taus, n: int = 20_000, reward=None, seed: int = 0) -> dict:
    """Bias and variance of the straight-through gradient, against the temperature.

    The loss is the reward of a sampled action, ``r . onehot(z)`` with ``z ~ softmax(logits)``,
    sampled with ``gumbel_softmax(logits, tau, hard=True)``. Its exact expected gradient is
    ``d/d(logits) of sum_k softmax(logits)_k r_k`` (computed here with autograd). For each tau,
    ``n`` straight-through gradients (one per sample, same noise at every tau) give a mean
    and a variance.

    Args:
        logits: ``(K,)``.
        taus: ``(T,)`` temperatures.
        n: samples per temperature.
        reward: ``(K,)`` reward of each action; default ``(1, 0, ..., 0)``.
        seed: seed of the Gumbel noise.

    Returns:
        dict of numpy arrays: ``"taus"`` ``(T,)``; ``"n"``; ``"exact"`` ``(K,)`` the exact gradient;
        ``"mean"`` ``(T, K)`` mean straight-through gradient; ``"variance"`` ``(T,)`` total
        variance (sum over the K components); ``"bias"`` ``(T,)`` ``|mean - exact|`` (Euclidean).
        The bias is measured only down to the Monte-Carlo error of the mean, about
        ``variance / n`` in squared length.
    """
    logits = torch.as_tensor(logits, dtype=torch.float32).detach()
    k = logits.shape[-1]
    if reward is None:
        r = torch.zeros(k)
        r[0] = 1.0
    else:
        r = torch.as_tensor(reward, dtype=torch.float32)
    leaf = logits.clone().requires_grad_(True)
    (exact,) = torch.autograd.grad(torch.softmax(leaf, -1) @ r, leaf)
    means, variances = [], []
    for tau in taus:
        rows = logits.expand(n, k).clone().requires_grad_(True)  # one copy of the logits per sample
        a = gumbel_softmax(rows, float(tau), hard=True, generator=_generator(seed))
        (a @ r).sum().backward()  # row b of rows.grad = gradient of sample b's reward
        means.append(rows.grad.mean(0))
        variances.append(rows.grad.var(0).sum())
    mean = torch.stack(means).double()
    return {
        "taus": np.asarray(taus, dtype=np.float64), "n": int(n), "exact": exact.double().numpy(), "mean": mean.numpy(),
        "variance": torch.stack(variances).double().numpy(),
        "bias": (mean - exact.double()).norm(dim=-1).numpy(),
    }


def straight_through_grad_variance(logits, taus, n: int = 20_000, reward=None, seed: int = 0) -> np.ndarray:
    """``(T,)`` total variance of the straight-through gradient at each tau; see :func:`grad_tradeoff`."""
    return grad_tradeoff(logits, taus, n, reward, seed)["variance"]


def grad_tradeoff_figure(stats: dict, mark_tau: float | None = None) -> Figure:
    """Variance and squared bias of the straight-through gradient against tau (log-log), from
    :func:`grad_tradeoff`; ``mark_tau`` (e.g. ``Config().gumbel_tau``) is drawn as a vertical line."""
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    ax = fig.subplots()
    ax.loglog(stats["taus"], stats["variance"], "o-", ms=3, color="C0", label=_fig("variance (sum over logits)"))
    ax.loglog(stats["taus"], stats["bias"] ** 2, "s-", ms=3, color="C1", label=_fig("squared bias"))
    ax.loglog(stats["taus"], stats["variance"] / stats["n"], ":", color="gray",
              label=_fig("noise floor of the bias, variance / n (n = {n})").format(n=stats["n"]))
    if mark_tau is not None:
        ax.axvline(mark_tau, color="black", ls="--", lw=1, label=f"tau = {mark_tau:g}")
    ax.set_xlabel(_fig("temperature tau"))
    ax.set_ylabel(_fig("squared length"))
    ax.set_title(_fig("Straight-through gradient: variance falls, bias grows with tau"), fontsize=10)
    ax.legend(fontsize=8)
    return fig


# ----- the widget -------------------------------------------------------------------------------

def figure_png(fig: Figure, dpi: int = EXPLORER_DPI) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


@functools.cache
def _explorer_class():
    """The widget class, built on first use so that the rest of this module works without ipywidgets."""
    import ipywidgets as widgets

    class GumbelExplorer(widgets.VBox):
        """The explorer UI (see :func:`gumbel_explorer`). Without a widget front end it shows
        as a static PNG of its current figure."""

        def __init__(self, probs, tau, n_samples, hard, seed):
            p = _probs(probs)
            self.seed = int(seed)
            self.figure = Figure(figsize=EXPLORER_FIGSIZE, dpi=EXPLORER_DPI, layout="constrained")
            self.stats: dict = {}
            style = {"description_width": "initial"}
            self.tau_slider = widgets.FloatLogSlider(
                value=tau, base=10, min=np.log10(TAU_MIN), max=np.log10(TAU_MAX), step=0.02,
                description=_("temperature tau"), continuous_update=False, style=style)
            self.prob_sliders = tuple(
                widgets.FloatSlider(value=round(float(v), 2), min=0.01, max=1.0, step=0.01,
                                    description=_("weight {number}").format(number=i + 1),
                                    continuous_update=False, style=style)
                for i, v in enumerate(p))
            self.samples_slider = widgets.IntSlider(
                value=n_samples, min=100, max=20_000, step=100, description=_("samples N"),
                continuous_update=False, style=style)
            self.mode_toggle = widgets.ToggleButtons(options=[(_("soft"), "soft"), (_("hard"), "hard")],
                                                     value="hard" if hard else "soft",
                                                     description=_("samples"), style=style)
            self.noise_button = widgets.Button(description=_("new noise"), tooltip=_("draw fresh Gumbel noise"))
            # natural size (not stretched to the output's width), shrunk only on a narrower screen
            self.image = widgets.Image(format="png", layout=widgets.Layout(align_self="flex-start",
                                                                          max_width="100%"))
            for control in (self.tau_slider, *self.prob_sliders, self.samples_slider, self.mode_toggle):
                control.observe(self._on_change, names="value")
            self.noise_button.on_click(self._on_new_noise)
            controls = widgets.HBox([
                widgets.VBox([self.tau_slider, self.samples_slider, self.mode_toggle, self.noise_button]),
                widgets.VBox([widgets.Label(_("probabilities p (the weights are normalised)")),
                              *self.prob_sliders]),
            ])
            super().__init__([controls, self.image])
            self.update()

        @property
        def probs(self) -> np.ndarray:
            """``(K,)`` the weights of the sliders, normalised."""
            return _probs([s.value for s in self.prob_sliders])

        def update(self) -> None:
            """Recompute :attr:`stats` from the controls, redraw :attr:`figure`, refresh the image."""
            self.stats = explorer_stats(self.probs, self.tau_slider.value, self.samples_slider.value,
                                        hard=self.mode_toggle.value == "hard", seed=self.seed)
            draw_explorer(self.figure, self.stats)
            self.image.value = figure_png(self.figure)

        def _on_change(self, change) -> None:
            self.update()

        def _on_new_noise(self, button) -> None:
            self.seed += 1
            self.update()

        def _repr_mimebundle_(self, **kwargs):
            # a live front end renders the widget; one without widgets (nbconvert, GitHub) the PNG
            data = super()._repr_mimebundle_(**kwargs) or {}
            data["image/png"] = base64.b64encode(self.image.value).decode("ascii")
            return data

    return GumbelExplorer


def gumbel_explorer(probs=(0.5, 0.3, 0.2), tau: float = 1.0, n_samples: int = 2000, hard: bool = False,
                    seed: int = 0):
    """Interactive Gumbel-softmax temperature explorer (ipywidgets).

    Controls: a log-scale slider for tau (about 0.05 to 10), one slider per category
    weight (normalised to p), the number of samples, a soft/hard toggle and a
    "new noise" button. Every change calls :func:`explorer_stats` and :func:`draw_explorer`.

    Returns:
        a ``GumbelExplorer`` (an ``ipywidgets.VBox``; display it as the last value of a cell).
        Its attributes: ``tau_slider``, ``prob_sliders`` (tuple), ``samples_slider``,
        ``mode_toggle``, ``noise_button``; ``figure`` (the matplotlib Figure drawn now),
        ``stats`` (the dict drawn now), ``image`` (its PNG, shown in the box), ``seed``;
        ``update()`` redraws. Setting a control from code redraws like dragging it
        (``ui.tau_slider.value = 0.1``), so it all works headless. Without a widget front end
        the box shows as a static PNG of the figure.
    """
    return _explorer_class()(probs, tau, n_samples, hard, seed)
