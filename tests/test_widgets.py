"""maddpg_lite.widgets without a browser: the explorer's statistics obey the Gumbel-softmax
facts it teaches, the straight-through gradient trades variance for bias, and moving a
slider from code redraws the figure."""

import itertools
import json
import math
import re
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg

from maddpg_lite.widgets import (
    EXPLORER_DPI,
    PANEL_TAUS,
    explorer_stats,
    grad_tradeoff,
    gumbel_explorer,
    straight_through_grad_variance,
    tau_panel_figure,
)

LESSON_03 = Path(__file__).resolve().parent.parent / "notebooks" / "03_gumbel_softmax.ipynb"

P = np.array([0.5, 0.3, 0.2])
K = len(P)
N = 20_000
Z_MAX = 4.5  # a frequency may sit at most 4.5 binomial standard errors from its probability
SHORT_GRID = [0.05, 1.0, 10.0]  # keeps explorer_stats fast where the curves are not tested


# ----- explorer_stats ---------------------------------------------------------------------------

def test_argmax_frequencies_follow_p_at_every_tau():
    """Gumbel-max: argmax(log p + g) ~ p, and dividing by tau > 0 never moves the argmax."""
    freqs = []
    for tau in (0.05, 1.0, 10.0):
        for hard in (False, True):
            stats = explorer_stats(P, tau, N, hard=hard, tau_grid=SHORT_GRID)
            z = np.abs(stats["argmax_freq"] - P) / np.sqrt(P * (1 - P) / N)
            assert z.max() < Z_MAX, (tau, hard, stats["argmax_freq"])
            freqs.append(stats["argmax_freq"])
    # with the same noise the argmax is the same sample for sample, whatever tau and hard/soft
    assert all(np.array_equal(f, freqs[0]) for f in freqs)


def test_probs_are_normalised_weights():
    stats = explorer_stats([2.0, 1.0, 1.0], 1.0, 100, tau_grid=SHORT_GRID)
    np.testing.assert_allclose(stats["probs"], [0.5, 0.25, 0.25])
    with pytest.raises(ValueError, match="positive"):
        explorer_stats([1.0, 0.0], 1.0, 100)


def test_soft_samples_go_from_one_hot_to_uniform_as_tau_grows():
    grid = np.geomspace(1e-3, 1e3, 25)
    stats = explorer_stats(P, 1.0, 5000, tau_grid=grid)
    max_prob, entropy = stats["grid_mean_max_prob"], stats["grid_entropy"]
    # with common noise both curves are monotone sample by sample, so exactly monotone on average
    assert np.all(np.diff(max_prob) <= 1e-6)
    assert np.all(np.diff(entropy) >= -1e-6)
    assert max_prob[0] > 0.999 and entropy[0] < 0.01  # tau -> 0: one-hot
    assert abs(max_prob[-1] - 1 / K) < 0.01 and abs(entropy[-1] - math.log(K)) < 0.01  # tau -> inf: uniform
    # the value at the current tau is the curve's value there (tau = 1 is on this grid)
    i = int(np.argmin(np.abs(grid - 1.0)))
    assert stats["mean_max_prob"] == pytest.approx(max_prob[i], abs=1e-6)


def test_soft_sample_rows_are_on_the_simplex_and_hard_rows_are_one_hot():
    soft = explorer_stats(P, 0.7, 500, hard=False, tau_grid=SHORT_GRID)["samples"]
    hard = explorer_stats(P, 0.7, 500, hard=True, tau_grid=SHORT_GRID)["samples"]
    np.testing.assert_allclose(soft.sum(1), 1.0, atol=1e-6)
    assert np.all(soft > 0) and np.all(soft.max(1) < 1)
    np.testing.assert_allclose(hard, np.eye(K)[soft.argmax(1)], atol=1e-6)  # same noise: argmax of soft


# ----- straight-through gradient ----------------------------------------------------------------

def test_straight_through_variance_falls_and_bias_grows_with_tau():
    logits = torch.log(torch.tensor(P, dtype=torch.float32))
    stats = grad_tradeoff(logits, [0.1, 1.0, 10.0], n=N)
    var, bias = stats["variance"], stats["bias"]
    assert np.all(np.isfinite(var)) and np.all(var > 0)
    assert var[0] > 10 * var[1] > 100 * var[2]
    # exact gradient of sum_k p_k r_k with r = (1, 0, 0): p_1 (e_1 - p)
    np.testing.assert_allclose(stats["exact"], P[0] * (np.eye(K)[0] - P), atol=1e-6)
    # small tau: bias within Monte-Carlo error; large tau: the gradient shrinks to 0, bias -> |exact|
    assert bias[0] ** 2 < 4 * var[0] / N
    assert bias[0] < bias[1] < bias[2]
    assert bias[2] == pytest.approx(np.linalg.norm(stats["exact"]), rel=0.1)
    np.testing.assert_array_equal(straight_through_grad_variance(logits, [0.1, 1.0, 10.0], n=N), var)


# ----- figures and the widget -------------------------------------------------------------------

def test_tau_panel_draws_one_panel_per_tau_with_sharper_samples_at_small_tau():
    fig = tau_panel_figure(P, PANEL_TAUS, n_show=6)
    assert len(fig.axes) == len(PANEL_TAUS)

    def widest_piece_per_row(ax):  # the 7 rows are p, then 6 samples; return each sample's max piece
        widths = np.array([bar.get_width() for bar in ax.patches]).reshape(K, 7)
        np.testing.assert_allclose(widths[:, 0], P)
        return widths[:, 1:].max(0)

    widest = [widest_piece_per_row(ax).mean() for ax in fig.axes]
    assert all(a > b for a, b in zip(widest, widest[1:]))  # ordered taus: samples flatten


def test_moving_the_tau_slider_redraws_the_figure():
    ui = gumbel_explorer(P, tau=1.0, n_samples=1000)
    fig = ui.figure
    title, png = fig._suptitle.get_text(), ui.image.value
    marker = fig.axes[2].lines[3]  # the vertical "current tau" line
    assert marker.get_label() == "current tau" and marker.get_xdata()[0] == pytest.approx(1.0)
    widths = [bar.get_width() for bar in fig.axes[1].patches]

    ui.tau_slider.value = 0.1

    assert ui.stats["tau"] == pytest.approx(0.1)
    assert "tau = 0.1:" in fig._suptitle.get_text() and fig._suptitle.get_text() != title
    assert fig.axes[2].lines[3].get_xdata()[0] == pytest.approx(0.1)
    assert [bar.get_width() for bar in fig.axes[1].patches] != widths
    assert bytes(ui.image.value) != bytes(png) and bytes(ui.image.value).startswith(b"\x89PNG")
    assert ui.stats["mean_max_prob"] > 0.9  # at tau = 0.1 the soft samples are nearly one-hot

    ui.mode_toggle.value = "hard"
    np.testing.assert_allclose(ui.stats["samples"].max(1), 1.0, atol=1e-6)
    ui.prob_sliders[0].value = 0.2  # weights (0.2, 0.3, 0.2) -> p = (2/7, 3/7, 2/7)
    np.testing.assert_allclose(ui.stats["probs"], [2 / 7, 3 / 7, 2 / 7], atol=1e-9)
    # without a widget front end the box shows as its current figure
    assert "image/png" in ui._repr_mimebundle_()


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", png[16:24])


@pytest.mark.parametrize("setting", ["opening", "tau 0.05, hard", "tau 10, one weight"])
def test_explorer_is_legible_at_laptop_zoom(setting):
    """At 100% zoom on a 1366-px laptop screen JupyterLab's output area is about 930 px wide: the picture
    fits it unshrunk, every letter is at least 12 px tall, no legend hides a plot, and no panel's labels,
    ticks or legend run into another panel, the title or off the picture."""
    ui = gumbel_explorer(n_samples=500)
    if setting != "opening":
        ui.tau_slider.value = 0.05 if "0.05" in setting else 10.0
        ui.mode_toggle.value = "hard" if "hard" in setting else "soft"
        if "weight" in setting:
            ui.prob_sliders[0].value, ui.prob_sliders[1].value = 1.0, 0.01
    width, height = png_size(bytes(ui.image.value))
    assert 800 <= width <= 930 and height <= 480, (width, height)
    fig = ui.figure
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    px = EXPLORER_DPI / 72  # pixels per point
    texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))
             if t.get_visible() and t.get_text().strip()]
    assert min(t.get_fontsize() for t in texts) * px >= 12
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    assert len(legends) == 2 and all(t.get_fontsize() * px >= 12 for leg in legends for t in leg.get_texts())
    for leg in legends:
        assert not any(leg.get_window_extent(renderer).overlaps(ax.bbox) for ax in fig.axes)
    boxes = [ax.get_tightbbox(renderer) for ax in fig.axes] + [fig._suptitle.get_window_extent(renderer)]
    for box in boxes:
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1 and fig.bbox.y0 <= box.y0 and box.y1 <= fig.bbox.y1
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))


def test_lesson_03_explorer_shows_the_tau_its_cell_says():
    """The cell that displays the explorer says its tau; no later cell may move the displayed explorer's
    controls (Run All would run it, and a student scrolling back would see another tau than the cell says)."""
    cells = ["".join(c["source"]) for c in json.loads(LESSON_03.read_text())["cells"] if c["cell_type"] == "code"]
    shown = [i for i, src in enumerate(cells) if re.search(r"^(\w+) = gumbel_explorer\(.*\)\s*\n\1\s*$", src, re.M)]
    assert len(shown) == 1, "lesson 03 should display exactly one explorer as `name = gumbel_explorer(...)` then `name`"
    source = cells[shown[0]]
    name = re.search(r"^(\w+) = gumbel_explorer\(", source, re.M).group(1)
    said = float(re.search(r"\btau=([0-9.]+)", source).group(1))
    ui = gumbel_explorer(tau=said, n_samples=200)
    assert ui.tau_slider.value == pytest.approx(said) and ui.stats["tau"] == pytest.approx(said)
    moves = re.compile(rf"\b{name}\.(tau_slider|prob_sliders|samples_slider|mode_toggle|noise_button|seed|update)\b"
                       r"[^\n]*(=[^=]|\.click\(|\()")
    for later in cells[shown[0] + 1:]:
        assert not moves.search(later), f"a later cell changes the displayed explorer:\n{later}"
