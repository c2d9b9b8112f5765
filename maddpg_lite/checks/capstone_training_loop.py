"""Checks of notebooks/exercises/capstone_training_loop.ipynb (the capstone: write the training loop).

Exercise 1 ``train_one_game`` and 2 ``train_k_games``: :func:`check_training_loop` plays small runs of the
student's loop in a recording copy of the game (:class:`_RecordingEnv`) and compares what was stored and when
the updates ran with what was played and with the schedule of :func:`maddpg_lite.train`; then a learning run.
"""

from __future__ import annotations

import copy
import functools
import math

import numpy as np
import torch

from ..buffer import Batch, ReplayBuffer
from ..env import AGENTS, N_ACTIONS, OBS_DIMS, VecSimpleAdversary
from ..i18n import _
from ..maddpg import MADDPG
from .core import SEED, CheckResult, _Checks, _expect_number, _fmt, _Mismatch, _run
from .shared import _update_schedule


def _joint_obs(obs: dict) -> np.ndarray:
    """``{name: (K, d)}`` -> ``(K, 28)`` float32: x = (o_1, o_2, o_3) of every game."""
    return np.concatenate([np.asarray(obs[name], dtype=np.float32) for name in AGENTS], axis=1)


class _RecordingEnv(VecSimpleAdversary):
    """The game, logging every ``reset()`` and ``step()``: what was really played, to compare the
    replay buffer and the update rounds of a student's loop with."""

    def __init__(self, num_envs: int, seed: int, max_cycles: int):
        super().__init__(num_envs, seed=seed, max_cycles=max_cycles)
        self.events = []
        """``("reset", x)`` and ``("step", x, actions (K, N) ints, rewards (K, N), x', terminated (K,))``."""
        self.step_calls = 0

    def reset(self, *args, **kwargs):
        obs = super().reset(*args, **kwargs)
        self.events.append(("reset", _joint_obs(obs)))
        return obs

    def step(self, actions):
        x = _joint_obs(self.observations())
        obs, rewards, terminated, truncated = super().step(actions)
        self.step_calls += 1
        self.events.append(("step", x, np.array(actions, copy=True), np.array(rewards, dtype=np.float64),
                            _joint_obs(obs), np.array(terminated, copy=True)))
        return obs, rewards, terminated, truncated


_LOOP_CASES = {  # (num_envs K, episodes, episode_length, update_interval, minimal_size)
    # minimal_size is never a buffer length reached exactly at a boundary, so ">" and ">=" agree
    "one game": [(1, 6, 25, 10, 45), (1, 3, 7, 5, 12)],
    "K games": [(1, 6, 25, 10, 45), (4, 8, 7, 10, 18), (25, 50, 5, 10, 60)],
}


LEARN_CONFIG = dict(episodes=1000, num_envs=50, minimal_size=1000, batch_size=256)
"""The run of the "learns" check: the default Config otherwise (updates every 100 environment steps)."""


LEARN_EVAL_EPISODES = 500
"""Fixed-seed evaluation episodes that compare the trained adversary with a random one."""


_LOOP_SIGNATURE = "(maddpg, buffer, env, config, rng)"


def _games(k: int) -> str:
    """``"1 game"``, ``"3 games"`` in the language the package speaks."""
    return (_("{k} games") if k > 1 else _("{k} game")).format(k=k)


def check_training_loop(fn, num_envs: int | None = None) -> CheckResult:
    """Check a training loop ``fn(maddpg, buffer, env, config, rng) -> number of update rounds``.

    The loop plays ``config.episodes`` episodes in the ``env.num_envs`` games of ``env`` (a
    :class:`~maddpg_lite.env.VecSimpleAdversary` with ``max_cycles = config.episode_length``): it
    resets the games, acts with ``maddpg.act(obs, explore=True)``, steps, stores every transition in
    ``buffer`` and runs ``maddpg.update(buffer.sample(config.batch_size, rng))`` on the schedule of
    :func:`maddpg_lite.train`. The checker records what the game really played and every update
    call, then verifies, on small runs:

    1. every episode starts with ``env.reset()`` and lasts ``config.episode_length`` steps, and
       ``config.episodes // K`` rounds of K games are played;
    2. the buffer holds each step's transitions once, exactly as played: x, the one-hot actions
       sent, the rewards, x' (the real next observation, also at the last step: never the
       observation of the next reset) and done = 0 (the time limit is not a termination);
    3. the actions explore (Gumbel-softmax samples, not the greedy actions);
    4. no update round before the buffer holds ``minimal_size`` transitions; then one round per
       ``update_interval`` environment steps (K per ``env.step()``), at the step where a multiple of
       ``update_interval`` is crossed, with batches of ``batch_size`` (measuring the buffer before
       or after storing the step's transitions are both accepted);
    5. the returned number equals the update rounds run;
    6. (``num_envs=None`` only) it learns: after ``LEARN_CONFIG`` (1000 episodes, 50 games), the
       adversary scores better than a random adversary against the same good agents on 500
       fixed-seed episodes (more than 3 standard errors).

    Args:
        fn: the student's loop.
        num_envs: 1 checks the one-game loop (runs with K = 1, no learning run); None (default)
            checks the K-games loop with K = 1, 3 and 25, then the learning run with K = 50.
    """
    if num_envs not in (None, 1):
        raise ValueError(_("num_envs must be 1 (one game) or None (K games), got {num_envs}").format(
            num_envs=repr(num_envs)))
    name = fn.__name__ if callable(fn) and hasattr(fn, "__name__") and fn.__name__ != "<lambda>" else "training_loop"
    return _run(name, functools.partial(_loop_checks, games="one game" if num_envs == 1 else "K games"), fn,
                name + _LOOP_SIGNATURE, answers="training_loop")


def _loop_config(case, **extra):
    from ..config import Config

    K, episodes, length, interval, minimal = case
    return Config(episodes=episodes, num_envs=K, episode_length=length, update_interval=interval,
                  minimal_size=minimal, **extra)


def _loop_run(c: _Checks, case) -> dict:
    """Run the student's loop on one small case, recording the game and every update call."""
    K, episodes, length, interval, minimal = case
    config = _loop_config(case, batch_size=16, hidden_dim=16, buffer_size=max(16, episodes * length))
    maddpg = MADDPG.from_config(config)
    initial_actors = copy.deepcopy(maddpg.actors)
    buffer = ReplayBuffer(config.buffer_size, OBS_DIMS, N_ACTIONS)
    env = _RecordingEnv(K, seed=100 * K + 1, max_cycles=length)
    calls = []
    original = maddpg.update

    def update(*args, **kwargs):  # the package's update, counted
        calls.append(dict(step=env.step_calls, stored=len(buffer), batch=args[0] if args else kwargs.get("batch")))
        return original(*args, **kwargs)

    maddpg.update = update
    empty_buffer = _("an empty ReplayBuffer")
    inp = (f"config = Config(episodes={episodes}, num_envs={K}, episode_length={length}, update_interval={interval}, "
           f"minimal_size={minimal}, batch_size=16, hidden_dim=16); env = VecSimpleAdversary({K}, "
           f"max_cycles={length}); buffer = {empty_buffer}; maddpg = MADDPG.from_config(config)")
    out = c.call(inp, maddpg, buffer, env, config, np.random.default_rng(SEED))
    return dict(case=case, config=config, inp=inp, out=out, env=env, buffer=buffer, calls=calls,
                initial_actors=initial_actors)


def _loop_episodes_check(run: dict) -> None:
    K, episodes, length, _interval, _minimal = run["case"]
    inp, events = run["inp"], run["env"].events
    check = _("every episode starts with env.reset() and lasts {length} steps; {rounds} rounds of {games}").format(
        length=length, rounds=episodes // K, games=_games(K))
    if events and events[0][0] == "step" or not events:
        raise _Mismatch(check, inp, _("env.reset() before the first step"),
                        _("env.step() before any env.reset()") if events
                        else _("no env.reset() and no env.step() at all"),
                        _("Start every episode with obs = env.reset(); the game is not reset for you."))
    blocks = []
    for event in events:
        if event[0] == "reset":
            blocks.append(0)
        else:
            blocks[-1] += 1
    if len(blocks) > 1 and blocks[-1] == 0:
        blocks = blocks[:-1]  # a reset after the last episode is harmless
    wrong = [n for n in blocks if n != length]
    if wrong:
        hint = _("Play config.episode_length = {length} steps per episode (for t in range(config.episode_length)), "
                 "then reset.").format(length=length)
        if len(blocks) < episodes // K and wrong[0] % length == 0:
            hint = _("{steps} steps without a reset: call env.reset() at the start of every episode "
                     "(the game is not reset for you). {hint}").format(steps=wrong[0], hint=hint)
        raise _Mismatch(check, inp, _("{episodes} episodes of {length} steps (between two resets)").format(
                            episodes=episodes // K, length=length),
                        _("an episode of {steps} steps; steps between resets: {blocks}").format(
                            steps=wrong[0], blocks=blocks[:8]) + (" ..." if len(blocks) > 8 else ""), hint)
    if len(blocks) != episodes // K:
        hint = _("config.episodes = {episodes} counts single games; every env.reset() starts {k} of them, so play "
                 "config.episodes // env.num_envs = {rounds} rounds.").format(episodes=episodes, k=K,
                                                                               rounds=episodes // K)
        raise _Mismatch(check, inp, _("{rounds} rounds of {games}").format(rounds=episodes // K, games=_games(K)),
                        _("{rounds} rounds").format(rounds=len(blocks)), hint)


def _loop_transitions_check(run: dict) -> None:
    K, episodes, length, _interval, _minimal = run["case"]
    inp, events, buffer = run["inp"], run["env"].events, run["buffer"]
    check = _("the buffer holds every transition once, as played: (x, a, r, x', done) with x' the real next "
              "observation and done = 0")
    played = [e for e in events if e[0] == "step"]
    n = len(played) * K
    size = len(buffer)
    if size != n:
        hint = _("Store each step's K transitions once: buffer.add(obs, actions, rewards, next_obs, dones) right "
                 "after env.step().")
        if size == 0:
            hint = _("Nothing was stored in `buffer` (the ReplayBuffer passed in). {hint}").format(hint=hint)
        raise _Mismatch(check, inp, _("{n} transitions ({calls} env.step() calls x {k} games)").format(
                            n=n, calls=len(played), k=K),
                        _("{n} transitions in the buffer").format(n=size), hint)
    x = np.concatenate(buffer.obs, axis=1)[:size]
    x_next = np.concatenate(buffer.next_obs, axis=1)[:size]
    rows_of = {}  # x -> rows storing it (x repeats when nobody moves, e.g. everyone "stays" right after a reset)
    for r, row in enumerate(x):
        rows_of.setdefault(row.tobytes(), []).append(r)
    next_reset = {}  # index of a step event -> the x of the reset that follows it, if it ends an episode
    for idx in range(len(events) - 1):
        if events[idx][0] == "step" and events[idx + 1][0] == "reset":
            next_reset[idx] = events[idx + 1][1]
    eye = np.eye(N_ACTIONS, dtype=np.float32)

    def problem(r, k, xs_k, sent, reward, xs_next_k, idx, last):
        """The first field of row r that differs from the played transition: (what, expected, got, hint) or None."""
        stored_a = buffer.actions[r]
        if not (np.array_equal(stored_a.argmax(-1), sent) and np.allclose(stored_a, eye[sent], atol=1e-5)):
            return (_("the actions"), _("one-hots of the actions sent, {actions}").format(actions=sent.tolist()),
                    _fmt(stored_a), _("Store the (K, N, A) one-hots maddpg.act returned; their argmax(-1) is what "
                                      "goes to env.step()."))
        if not np.allclose(buffer.rewards[r], reward, rtol=1e-6, atol=1e-6):
            return (_("the rewards"), _fmt(reward), _fmt(buffer.rewards[r]),
                    _("Store the rewards env.step() returned for this step, unchanged."))
        if not np.array_equal(x_next[r], xs_next_k):
            hint = _("x' is the observation env.step() returned for this step.")
            if idx in next_reset and np.array_equal(x_next[r], next_reset[idx][k]):
                hint = _("Your x' of the last step is the observation of the NEXT episode's reset: bootstrapping "
                         "from the reset observation. The time limit does not end the world: store the real x' that "
                         "env.step() returned, and reset only after storing it.")
            elif np.array_equal(x_next[r], xs_k):
                hint = _("Your x' equals x: store next_obs (what env.step() returned), not obs.")
            return ("x'", _fmt(xs_next_k), _fmt(x_next[r]), hint)
        if np.any(buffer.dones[r] != 0):
            hint = _("done = terminated (always False in this game), never truncated: the last step still "
                     "bootstraps.")
            if last:
                hint = _("done = 1 at the episode's last step: the time limit (truncated) is not a termination. "
                         "{hint}").format(hint=hint)
            return ("done", _("done = 0 for every agent"), _fmt(buffer.dones[r]), hint)
        return None

    t_in_episode = 0
    for idx, event in enumerate(events):
        if event[0] == "reset":
            t_in_episode = 0
            continue
        _kind, xs, actions, rewards, xs_next, _terminated = event
        t_in_episode += 1
        for k in range(K):
            where = _("step {t} of an episode, game {k}").format(t=t_in_episode, k=k)
            sent = np.asarray(actions[k]).astype(int)
            rows = rows_of.get(xs[k].tobytes(), [])
            if not rows:
                raise _Mismatch(check, inp, _("a stored transition whose x is the observation before {where}").format(
                                    where=where),
                                _("no stored transition has that x"),
                                _("x is the observation the actions were chosen from: buffer.add(obs, ...) with the "
                                  "obs you passed to maddpg.act, then obs = next_obs for the next step."))
            found = [(r, problem(r, k, xs[k], sent, rewards[k], xs_next[k], idx, t_in_episode == length)) for r in rows]
            exact = [r for r, p in found if p is None]
            if not exact:
                what, expected, got, hint = found[0][1]
                raise _Mismatch(_("{check} ({where}: {what})").format(check=check, where=where, what=what), inp,
                                expected, got, hint)
            rows.remove(exact[0])


def _loop_exploration_check(run: dict) -> None:
    K, *_rest = run["case"]
    inp, events, calls = run["inp"], run["env"].events, run["calls"]
    first = calls[0]["step"] if calls else run["env"].step_calls
    steps = [e for e in events if e[0] == "step"][:first]  # played with the initial actors
    if len(steps) * K < 20:
        return
    x = torch.as_tensor(np.concatenate([e[1] for e in steps]))
    sent = np.concatenate([e[2] for e in steps])  # (n, N)
    bounds = np.cumsum((0,) + OBS_DIMS)
    with torch.no_grad():
        greedy = np.stack([actor(x[:, bounds[i]:bounds[i + 1]]).argmax(-1).numpy()
                           for i, actor in enumerate(run["initial_actors"])], axis=1)
    share = float((greedy == sent).mean())
    if share > 0.9:
        raise _Mismatch(_("the actions explore (Gumbel-softmax samples, not greedy)"), inp,
                        _("about 20-40% of the actions equal the greedy ones (the untrained actors are unsure)"),
                        _("{share} of {n} actions before the first update are the greedy ones").format(
                            share=f"{share:.0%}", n=sent.size),
                        _("Act with maddpg.act(obs, explore=True) while training; explore=False is for evaluation."))


def _loop_schedule_check(run: dict, games: str) -> None:
    K, episodes, length, interval, minimal = run["case"]
    inp, calls, config = run["inp"], run["calls"], run["config"]
    n_steps = run["env"].step_calls
    check = _("update rounds: none before the buffer holds minimal_size = {minimal}, then one per "
              "update_interval = {interval} environment steps").format(minimal=minimal, interval=interval)
    early = [call for call in calls if call["stored"] < minimal]
    if early:
        raise _Mismatch(check, inp, _("no update while len(buffer) < {minimal}").format(minimal=minimal),
                        _("an update with {n} transitions in the buffer").format(n=early[0]["stored"]),
                        _("Updating before the buffer is warm: check len(buffer) >= config.minimal_size before each "
                          "update round."))
    for call in calls:
        batch = call["batch"]
        for b in batch if isinstance(batch, (list, tuple)) and not isinstance(batch, Batch) else [batch]:
            if isinstance(b, Batch) and len(b.actions) != config.batch_size:
                raise _Mismatch(_("{check}, batches of batch_size").format(check=check), inp,
                                _("batches of {n}").format(n=config.batch_size),
                                _("a batch of {n}").format(n=len(b.actions)), "buffer.sample(config.batch_size, rng).")
    got = [0] * n_steps
    for call in calls:
        got[max(call["step"], 1) - 1] += 1
    expected = _update_schedule(episodes, K, interval, minimal, length)
    if got in (expected, _update_schedule(episodes, K, interval, minimal, length, before_add=True)):
        return
    total = sum(got)
    variants = [
        (_("one update round per env.step() (per K games) instead of one per update_interval environment steps"),
         sum(1 for j in range(1, n_steps + 1) if j * K >= minimal)),
        (_("env.step() calls counted as environment steps: K games make K environment steps per call"),
         sum(j // interval - (j - 1) // interval for j in range(1, n_steps + 1) if j * K >= minimal) if K > 1 else -1),
        (_("only exact multiples counted (env_steps % update_interval == 0): with K games env_steps jumps by K and "
           "can pass a multiple without hitting it, or pass several; count the boundaries crossed, env_steps // "
           "update_interval"), sum(1 for j in range(1, n_steps + 1) if j * K >= minimal and j * K % interval == 0)),
        (_("boundaries crossed while the buffer warmed up were made up later; they are skipped"),
         n_steps * K // interval),
    ]
    hint = _("After each env.step(), env_steps += K; run one round for each multiple of update_interval crossed "
             "(env_steps // update_interval went up), if len(buffer) >= minimal_size.")
    names = [_("{mistake}.").format(mistake=name) for name, value in variants
             if total == value and total != sum(expected)]
    if len(names) == 1:
        hint = _("Your loop matches the mistake: {mistake}").format(mistake=names[0])
    elif names:
        hint = _("On this run your loop matches each of these mistakes: {mistakes}").format(
            mistakes=names[0] + "".join(" " + _("Or: {mistake}").format(mistake=n) for n in names[1:]))
    first = next(j for j, (a, b) in enumerate(zip(got, expected)) if a != b)
    raise _Mismatch(check, inp, _("{rounds} rounds in all; after env.step() call {call}: {n}").format(
                        rounds=sum(expected), call=first + 1, n=expected[first]),
                    _("{rounds} rounds in all; after env.step() call {call}: {n}").format(
                        rounds=total, call=first + 1, n=got[first]), hint)


def _loop_return_check(run: dict) -> None:
    check = _("returns the number of update rounds it ran")
    got = _expect_number(run["out"], check, run["inp"], whole=True)
    if got != len(run["calls"]):
        raise _Mismatch(check, run["inp"], str(len(run["calls"])), _fmt(run["out"]),
                        _("Count the maddpg.update(...) calls and return that number."))


def _loop_learns_check(c: _Checks) -> str:
    from ..config import Config
    from ..evaluation import evaluate, random_policy, team_policy

    config = Config(**LEARN_CONFIG)
    maddpg = MADDPG.from_config(config)
    buffer = ReplayBuffer(config.buffer_size, OBS_DIMS, N_ACTIONS)
    env = VecSimpleAdversary(config.num_envs, seed=SEED, max_cycles=config.episode_length)
    inp = _("{config} (updates every {interval} steps, hidden layers of {hidden}), a fresh MADDPG, buffer and "
            "VecSimpleAdversary({num_envs})").format(
        config=f"config = Config(episodes={config.episodes}, num_envs={config.num_envs}, "
               f"minimal_size={config.minimal_size}, batch_size={config.batch_size})",
        interval=config.update_interval, hidden=config.hidden_dim, num_envs=config.num_envs)
    rounds = c.call(inp, maddpg, buffer, env, config, np.random.default_rng(SEED))
    trained = evaluate(maddpg, LEARN_EVAL_EPISODES)
    random_adv = evaluate(team_policy(random_policy(0), maddpg), LEARN_EVAL_EPISODES)
    a, r = trained["returns"]["adversary_0"], random_adv["returns"]["adversary_0"]
    se = math.hypot(trained["returns_std"]["adversary_0"], random_adv["returns_std"]["adversary_0"]) \
        / math.sqrt(LEARN_EVAL_EPISODES)
    if a - r <= 3 * se:
        raise _Mismatch(_("it learns: the trained adversary beats a random adversary"), inp,
                        _("an adversary return above {random} + {margin} (a random adversary's, "
                          "+ 3 standard errors)").format(random=f"{r:+.2f}", margin=f"{3 * se:.2f}"),
                        f"{a:+.2f}", _("The schedule and the stored transitions were right on the small runs; check "
                                       "that each update samples from the buffer you fill "
                                       "(buffer.sample(config.batch_size, rng)) and that the same maddpg acts and "
                                       "learns."))
    return _("it learns: after {episodes} episodes in {num_envs} games ({rounds} update rounds) the adversary scores "
             "{adversary} per episode, a random adversary {random}, against the same good agents on "
             "{eval_episodes} fixed-seed episodes").format(
        episodes=config.episodes, num_envs=config.num_envs, rounds=int(rounds), adversary=f"{a:+.1f}",
        random=f"{r:+.1f}", eval_episodes=LEARN_EVAL_EPISODES)


def _loop_checks(c: _Checks, games: str) -> None:
    runs = []
    for case in _LOOP_CASES[games]:  # the episode structure first: a wrong one makes the later runs pointless
        runs.append(_loop_run(c, case))
        _loop_episodes_check(runs[-1])
    sizes = "; ".join(_("{episodes} episodes of {steps} steps in {games}").format(episodes=e, steps=n, games=_games(k))
                      for k, e, n, _interval, _minimal in (run["case"] for run in runs))
    c.ok(_("every episode starts with env.reset() and lasts config.episode_length steps ({sizes})").format(sizes=sizes))
    for run in runs:
        _loop_transitions_check(run)
    c.ok(_("the buffer holds every transition once as played: x, the one-hot actions sent, the rewards, x' (the real "
           "next observation, also at the last step) and done = 0 (the time limit is not a termination)"))
    for run in runs:
        _loop_exploration_check(run)
    c.ok(_("the actions explore: Gumbel-softmax samples (maddpg.act(obs, explore=True)), not the greedy actions"))
    for run in runs:
        _loop_schedule_check(run, games)
    rounds = ", ".join(_("{rounds} at K={k}").format(rounds=len(run["calls"]), k=run["case"][0]) for run in runs)
    c.ok(_("update rounds: none before minimal_size, then one per update_interval environment steps ({rounds}), "
           "batches of batch_size").format(rounds=rounds))
    for run in runs:
        _loop_return_check(run)
    c.ok(_("returns the number of update rounds"))
    if games == "K games":
        c.ok(_loop_learns_check(c))
