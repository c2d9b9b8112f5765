"""maddpg_lite.scene: the scene pictures show the real game state."""

import gc

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.patches as mpatches  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from maddpg_lite import N_ACTIONS, VecSimpleAdversary, make_env  # noqa: E402
from maddpg_lite.env import AGENT_SIZE, AGENTS, LANDMARK_SIZE  # noqa: E402
from maddpg_lite.evaluation import noop_policy, random_policy  # noqa: E402
from maddpg_lite.plots import AGENT_COLORS  # noqa: E402
from maddpg_lite.scene import (  # noqa: E402
    VIEW_REACH,
    animate_episodes,
    draw_info_flow,
    draw_scene,
    rollout_scenes,
    save_gif,
    scene_of,
)

# an animation that a test checks without playing it warns when it is garbage-collected
pytestmark = pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")
    gc.collect()  # an unplayed animation warns when collected: here, where the filter above applies


def mpe2_reset_positions(seed):
    """(agent_pos (3,2), landmark_pos (2,2), target) straight from mpe2's world."""
    env = make_env()
    env.reset(seed=seed)
    world = env.unwrapped.world
    agents = np.array([a.state.p_pos for a in world.agents])
    landmarks = np.array([lm.state.p_pos for lm in world.landmarks])
    target = [lm is world.agents[0].goal_a for lm in world.landmarks].index(True)
    env.close()
    return agents, landmarks, target


def test_noop_rollout_stays_put_and_starts_at_mpe2_reset():
    scenes = rollout_scenes(noop_policy(), seed=7)
    assert len(scenes) == 26
    agents, landmarks, target = mpe2_reset_positions(7)
    np.testing.assert_array_equal(scenes[0]["agent_pos"], agents)
    np.testing.assert_array_equal(scenes[0]["landmark_pos"], landmarks)
    assert scenes[0]["target"] == target
    for s in scenes:  # nobody pushes, velocities stay 0
        np.testing.assert_array_equal(s["agent_pos"], agents)
        np.testing.assert_array_equal(s["landmark_pos"], landmarks)


def test_random_rollout_moves_and_scenes_are_copies():
    scenes = rollout_scenes(random_policy(0), seed=3)
    steps = np.array([s["agent_pos"] for s in scenes])  # (26, 3, 2)
    moved = np.abs(np.diff(steps, axis=0)).sum(axis=(0, 2))
    assert (moved > 0).all()  # every agent moved at some step
    # one move changes a position by at most dt * (velocity), velocity <= dt*5/(1-0.75) = 2
    assert np.abs(np.diff(steps, axis=0)).max() <= 0.1 * 2.0 + 1e-12


class FakeMADDPG:
    """Stands in for MADDPG (whose first construction costs torch ~1 s): ``act`` returns
    one-hot actions (K, N, A); the chosen action depends on the observation."""

    def __init__(self):
        self.explore_flags = []

    def act(self, obs, explore=False):
        self.explore_flags.append(explore)
        x = np.stack([obs[name][:, 0] for name in AGENTS], axis=1)  # (K, 3)
        return np.eye(N_ACTIONS)[np.where(x > 0, 2, 1)]  # step towards x = 0


def test_rollout_accepts_maddpg_as_greedy_policy():
    maddpg = FakeMADDPG()
    by_object = rollout_scenes(maddpg, seed=5)
    assert maddpg.explore_flags == [False] * 25  # greedy, one call per step
    by_callable = rollout_scenes(lambda obs: maddpg.act(obs).argmax(-1), seed=5)
    for a, b in zip(by_object, by_callable, strict=True):
        np.testing.assert_array_equal(a["agent_pos"], b["agent_pos"])
    assert not np.array_equal(by_object[0]["agent_pos"], by_object[-1]["agent_pos"])


def test_scene_of_reads_mpe2_and_vec_alike():
    env = make_env()
    env.reset(seed=11)
    vec = VecSimpleAdversary(2)
    vec.reset(seeds=[10, 11])
    from_mpe2, from_vec = scene_of(env), scene_of(vec, k=1)
    np.testing.assert_array_equal(from_mpe2["agent_pos"], from_vec["agent_pos"])
    np.testing.assert_array_equal(from_mpe2["landmark_pos"], from_vec["landmark_pos"])
    assert from_mpe2["target"] == from_vec["target"]
    from_vec["agent_pos"][:] = 99  # a copy, not a view of the env's state
    assert not (vec.agent_pos == 99).any()


@pytest.mark.parametrize("target", [0, 1])
def test_draw_scene_discs_to_scale_and_colored(target):
    agents = np.array([[0.1, 0.2], [-0.5, 0.4], [0.7, -0.3]])
    landmarks = np.array([[0.3, -0.8], [-0.9, 0.9]])
    trails = np.stack([agents - 0.1 * k for k in range(4, 0, -1)])  # (4, 3, 2)
    fig, ax = plt.subplots()
    assert draw_scene(ax, agents, landmarks, target, trails=trails, title="t") is ax
    discs = [p for p in ax.patches if isinstance(p, mpatches.Circle)]
    assert len(discs) == 5
    np.testing.assert_allclose([d.radius for d in discs], [LANDMARK_SIZE] * 2 + [AGENT_SIZE] * 3)
    np.testing.assert_allclose([d.center for d in discs], np.concatenate([landmarks, agents]))
    colors = [mcolors.to_hex(d.get_facecolor(), keep_alpha=False) for d in discs]
    expected = ["tab:green" if m == target else "tab:gray" for m in range(2)] + [AGENT_COLORS[n] for n in AGENTS]
    assert colors == [mcolors.to_hex(c) for c in expected]
    assert colors[2] == mcolors.to_hex("tab:red")
    labels = [t.get_text() for t in ax.texts]
    assert sorted(labels) == sorted(["target", "decoy", *AGENTS])
    assert labels[target] == "target" and labels[1 - target] == "decoy"
    assert len(ax.lines) == 3 and all(len(line.get_xdata()) == 5 for line in ax.lines)  # 4 past + now
    assert ax.get_aspect() == 1.0
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    assert xlim[0] <= -1 and xlim[1] >= 1 and ylim == xlim  # the whole [-1, 1] square, square view


def test_draw_scene_rejects_bad_shapes():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="agent_pos"):
        draw_scene(ax, np.zeros((2, 2)), np.zeros((2, 2)), 0)
    with pytest.raises(ValueError, match="trails"):
        draw_scene(ax, np.zeros((3, 2)), np.zeros((2, 2)), 0, trails=np.zeros((4, 2)))


def test_animate_episodes_26_frames_same_start():
    anim = animate_episodes({"random": random_policy(0), "no-op": noop_policy()}, seed=3)
    assert len(list(anim.new_frame_seq())) == 26
    runs = anim.scenes
    assert [len(run) for run in runs.values()] == [26, 26]
    np.testing.assert_array_equal(runs["random"][0]["agent_pos"], runs["no-op"][0]["agent_pos"])
    for t in (0, 25):
        axes = anim.show_frame(t)
        for ax, run in zip(axes, runs.values()):
            np.testing.assert_allclose([p.center for p in ax.patches[2:5]], run[t]["agent_pos"])
            trail = np.stack([ax.lines[a].get_xydata() for a in range(3)], axis=1)  # (t+1, 3, 2)
            np.testing.assert_allclose(trail, [s["agent_pos"] for s in run[: t + 1]])


def runaway_policy():
    """The adversary always moves up (action 4) and runs off to y > 3; the good agents stay."""
    return lambda obs: np.tile([4, 0, 0], (len(obs[AGENTS[0]]), 1))


def label_boxes(fig):
    """``[{label: its box on the screen} for each panel]`` of the frame drawn now."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)  # the animation's figure is closed; draw it on a fresh canvas
    renderer = fig.canvas.get_renderer()
    return [{text.get_text(): text.get_window_extent(renderer) for text in ax.texts} for ax in fig.axes]


def test_a_runaway_agent_does_not_squeeze_the_other_panels():
    """Lesson 06's flaw: one agent ran off to y ~ 5 and every panel got a +-5 range, squeezing the other
    teams into the centre with their labels on top of each other. The view now holds the landmarks, the
    starts and the play within VIEW_REACH; the runaway stays visible as a labelled arrow on the edge."""
    anim = animate_episodes({"runaway": runaway_policy(), "no-op": noop_policy()}, seed=3, panel_size=3.4)
    runaway, still = anim.scenes["runaway"], anim.scenes["no-op"]
    assert runaway[-1]["agent_pos"][0, 1] > 3  # it really ran away
    start = np.concatenate([still[0]["agent_pos"], still[0]["landmark_pos"]])
    assert np.abs(start).max() + AGENT_SIZE <= anim.view <= VIEW_REACH + AGENT_SIZE + 0.15 + 1e-9
    fig = anim._fig
    for ax in fig.axes:
        assert ax.get_xlim() == ax.get_ylim() == (-anim.view, anim.view)
    axes = anim.show_frame(25)
    ax_run, ax_still = axes
    arrow = ax_run.lines[3]  # the adversary's off-view arrow, on the edge of the view, pointing up
    (x,), (y,) = arrow.get_data()
    assert abs(x) < anim.view and anim.view - 0.3 < y < anim.view
    assert ax_run.texts[2].get_text() == "adversary_0 (off view)"
    assert all(len(line.get_xdata()) == 0 for line in ax_still.lines[3:6])  # nobody is off view there
    assert [t.get_text() for t in ax_still.texts[2:5]] == list(AGENTS)
    for ax, boxes in zip(axes, label_boxes(fig)):
        inside = ax.bbox
        for name, box in boxes.items():
            assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1, name


@pytest.mark.parametrize("seed", [0, 11])
def test_animation_labels_never_overlap(seed):
    """In every frame of every panel the five labels (target, decoy, the three agents) are apart, also when
    the agents crowd together (FakeMADDPG walks everyone to the line x = 0)."""
    anim = animate_episodes({"crowd": FakeMADDPG(), "random": random_policy(seed), "no-op": noop_policy()},
                            seed=seed, panel_size=3.4)
    for t in range(26):
        axes = anim.show_frame(t)
        for ax, panel in zip(axes, label_boxes(anim._fig)):
            boxes = list(panel.items())
            for i, (name_a, a) in enumerate(boxes):
                for name_b, b in boxes[i + 1:]:
                    assert not a.overlaps(b), (t, ax.get_title(), name_a, name_b)


def test_animation_player_needs_no_internet():
    """matplotlib's player links a Font Awesome style sheet on a CDN; ours draws the same icons inline."""
    import re

    html = animate_episodes({"no-op": noop_policy()}, panel_size=1.5, dpi=30).to_jshtml()
    assert "<link" not in html and "font-awesome" not in html
    assert not re.findall(r"(?:src|href)\s*=\s*[\"']?https?:", html)
    assert all(url.startswith("data:") for url in re.findall(r"url\([\"']?([^\"')]+)", html))
    icons = set(re.findall(r'<i class="fa (fa-[\w-]+)', html))
    assert len(icons) >= 7 and all(f"i.{icon} {{" in html for icon in icons), icons
    assert "play_animation()" in html  # the player itself is unchanged


def test_save_gif_writes_every_frame(tmp_path):
    from PIL import Image

    anim = animate_episodes({"random": random_policy(0)}, seed=0, panel_size=1.5, dpi=30)
    save_gif(anim, tmp_path / "a.gif")
    with Image.open(tmp_path / "a.gif") as im:
        assert im.n_frames == 26  # (Pillow would merge identical frames; random agents always move)


def test_info_flow_critics_only_in_training():
    fig = draw_info_flow()
    train, execute = fig.axes
    boxes = [sum(isinstance(p, mpatches.FancyBboxPatch) for p in ax.patches) for ax in (train, execute)]
    assert boxes == [13, 9]  # 3 x (o_i, actor, a_i) + joint input + 3 critics | 3 x (o_i, actor, a_i)
    texts = [" ".join(t.get_text() for t in ax.texts) for ax in (train, execute)]
    assert all(f"critic $Q_{i}$" in texts[0] for i in (1, 2, 3))
    assert "$Q" not in texts[1]
