"""The trainer's FastMADDPG (maddpg_lite.fast): the plain MADDPG's update round, faster. What is
compared: its Adam step with torch's own (to the bit, the same operations); the threaded round with
the one-thread round and with the plain loop (within THREADS_TOLERANCE: float rounding is all that may
differ; equal to the bit on the machines measured, which python -m maddpg_lite.bench --plain-vs-fast
and --agent-threads print); a rerun with the same settings (to the bit, the same computer)."""

import functools

import numpy as np
import pytest
import torch
from test_maddpg import B, N, make_batch, params

import maddpg_lite.fast as fast_module
from maddpg_lite.buffer import Batch
from maddpg_lite.env import N_ACTIONS, OBS_DIMS
from maddpg_lite.fast import FastMADDPG
from maddpg_lite.maddpg import MADDPG

torch.set_num_threads(1)  # tiny networks: one thread is fastest on a shared 2-core machine


def make_maddpg(seed: int = 0, cls=FastMADDPG, hidden_dim: int = 16, **kwargs) -> MADDPG:
    """A MADDPG (by default the fast one) whose targets differ from its networks, as after training."""
    torch.manual_seed(seed)
    m = cls(OBS_DIMS, N_ACTIONS, hidden_dim=hidden_dim, **kwargs)
    with torch.no_grad():
        for net in m.target_actors + m.target_critics:
            for p in net.parameters():
                p.add_(0.3 * torch.randn_like(p))
    return m


def test_adam_step_is_torchs_foreach_adam_to_the_bit():
    """maddpg.adam_step does torch's foreach Adam step without its bookkeeping: same parameters and
    state, bit for bit, over many steps (and torch's step can take over afterwards)."""
    import copy

    from maddpg_lite.fast import adam_step
    from maddpg_lite.maddpg import mlp

    torch.manual_seed(0)
    net = mlp(7, 3, 16)
    twin = copy.deepcopy(net)
    ours = torch.optim.Adam(twin.parameters(), lr=1e-2, foreach=True)
    theirs = torch.optim.Adam(net.parameters(), lr=1e-2, foreach=True)
    for step in range(120):
        x = torch.randn(32, 7)
        for model in (net, twin):
            model.zero_grad()
            (model(x) ** 2).mean().backward()
        theirs.step()
        if step < 100:
            adam_step(ours, list(twin.parameters()))
        else:
            ours.step()  # torch's own step continues from adam_step's state
    for a, b in zip(net.parameters(), twin.parameters()):
        assert torch.equal(a, b)
        assert all(torch.equal(theirs.state[a][k], ours.state[b][k]) for k in ("step", "exp_avg", "exp_avg_sq"))


def test_paper_update_rounds_with_adam_step_equal_torchs_steps():
    """The benchmark's side-by-side (bench --optimizer-step): whole paper-recipe update rounds (soft actions,
    clipping, a batch per agent) give the same critic weights with adam_step as with torch's optimizer.step()."""
    from maddpg_lite.bench import paper_rounds_ms

    (_, ours), (_, torchs) = paper_rounds_ms(False, rounds=3), paper_rounds_ms(True, rounds=3)
    assert torch.equal(ours, torchs)
    (_, other_seed) = paper_rounds_ms(False, rounds=3, seed=1)
    assert not torch.equal(ours, other_seed)  # the comparison can tell two trainings apart


def per_agent_batches(seed: int) -> list[Batch]:
    return [make_batch(seed * N + i) for i in range(N)]


@pytest.fixture
def threads_on_small_batches(monkeypatch):
    """Spread even these 6-row batches over the threads (the trainer does it from MIN_THREADED_ROWS rows on)."""
    monkeypatch.setattr(fast_module, "MIN_THREADED_ROWS", 1)


def threads_of_steps(m: MADDPG, monkeypatch) -> list[str]:
    """Record the name of the thread that runs each critic and actor step of ``m``."""
    import threading

    names = []
    for step in ("critic_step", "actor_step"):
        original = getattr(m, step)

        def spy(*args, original=original):
            names.append(threading.current_thread().name)
            return original(*args)

        monkeypatch.setattr(m, step, spy)
    return names


def five_rounds(recipe: str, threads: int, seed: int = 7, spy=None) -> tuple[MADDPG, list]:
    """A fresh MADDPG after five update rounds of ``recipe`` on ``threads`` agent threads, and its losses."""
    kwargs = dict(action_mode="soft", grad_clip=0.5) if recipe == "paper" else {}
    m = make_maddpg(**kwargs, agent_threads=threads)
    names = spy(m) if spy else None
    torch.manual_seed(seed)
    losses = [m.update(per_agent_batches(k) if recipe == "paper" else make_batch(k)) for k in range(5)]
    return m, losses if spy is None else (losses, names)


def state_of(m: MADDPG) -> list[torch.Tensor]:
    """Every number a round changes: the four network sets and the optimizers' Adam states."""
    state = params(m.actors + m.critics + m.target_actors + m.target_critics)
    for opt in m.critic_optimizers + m.actor_optimizers:
        state += [s[k] for s in opt.state.values() for k in ("step", "exp_avg", "exp_avg_sq")]
    return state


THREADS_TOLERANCE = 1e-5
"""How far the threaded update may be from the loop after five rounds (losses, weights, Adam
states): where the two differ at all, they differ by one or two float32 roundings (about 1.5e-7
on these networks), so this leaves a margin of about 60 times; on the machines measured
(``python -m maddpg_lite.bench --agent-threads``) they are equal to the bit."""


@pytest.mark.parametrize("recipe", ["book", "paper"])
@pytest.mark.parametrize("threads", [2, 3])
def test_agent_threads_agree_with_the_loop(recipe, threads, threads_on_small_batches, monkeypatch):
    """Agents updated side by side on threads (agent_threads) give the loop's networks, targets,
    optimizer states and losses, round after round, up to float rounding: each agent's steps touch
    only its own networks and the Gumbel noise is drawn in agent order before the threads start."""
    spy = functools.partial(threads_of_steps, monkeypatch=monkeypatch)
    loop, (loop_losses, loop_threads) = five_rounds(recipe, 1, spy=spy)
    side_by_side, (losses, side_threads) = five_rounds(recipe, threads, spy=spy)
    assert set(loop_threads) == {"MainThread"} and len(loop_threads) == 5 * 2 * N
    assert len(side_threads) == 5 * 2 * N and "MainThread" not in side_threads
    flat = lambda rounds: [x for r in rounds for k in ("critic_loss", "actor_loss") for x in r[k]]  # noqa: E731
    np.testing.assert_allclose(flat(losses), flat(loop_losses), rtol=0, atol=THREADS_TOLERANCE)
    for a, b in zip(state_of(loop), state_of(side_by_side), strict=True):
        torch.testing.assert_close(b, a, rtol=0, atol=THREADS_TOLERANCE)
    # the comparison can tell two trainings apart: other noise, other losses, far beyond the tolerance
    _, other = five_rounds(recipe, threads, seed=8)
    assert np.abs(np.subtract(flat(other), flat(loop_losses))).max() > 100 * THREADS_TOLERANCE


@pytest.mark.parametrize("recipe", ["book", "paper"])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_the_same_settings_give_the_same_bits(recipe, threads, threads_on_small_batches):
    """A rerun on this computer with the same code, seed and thread settings repeats every number,
    also on new threads (a new pool): each pool thread runs torch with the caller's CPU thread count."""
    first, first_losses = five_rounds(recipe, threads)
    fast_module._pool_of_process.cache_clear()  # the rerun's steps run on threads that never ran one
    again, again_losses = five_rounds(recipe, threads)
    assert again_losses == first_losses
    assert all(torch.equal(a, b) for a, b in zip(state_of(first), state_of(again), strict=True))


def test_small_batches_stay_on_one_thread(monkeypatch):
    from maddpg_lite.fast import MIN_THREADED_ROWS

    m = make_maddpg(agent_threads=2)
    names = threads_of_steps(m, monkeypatch)
    m.update(make_batch())  # 6 rows
    assert B < MIN_THREADED_ROWS and set(names) == {"MainThread"}


def test_on_threads_actor_step_i_starts_only_after_critic_step_i_has_ended(threads_on_small_batches, monkeypatch):
    """Actor i's loss reads critic i, so it must see critic i's step done, however the threads are
    scheduled: with agent 0's critic step made slow, 3 threads would otherwise start actor 0 early."""
    import time

    m = make_maddpg(agent_threads=3)
    events = []
    critic_step, actor_step = m.critic_step, m.actor_step

    def slow_critic_step(i, *args):
        if i == 0:
            time.sleep(0.2)
        loss = critic_step(i, *args)
        events.append(("critic done", i))
        return loss

    def recorded_actor_step(i, *args):
        events.append(("actor starts", i))
        return actor_step(i, *args)

    monkeypatch.setattr(m, "critic_step", slow_critic_step)
    monkeypatch.setattr(m, "actor_step", recorded_actor_step)
    m.update(make_batch())
    assert sorted(events) == sorted([("critic done", i) for i in range(N)] + [("actor starts", i) for i in range(N)])
    for i in range(N):
        assert events.index(("critic done", i)) < events.index(("actor starts", i)), events
    assert events.index(("actor starts", 1)) < events.index(("critic done", 0))  # the others did not wait for agent 0


def test_a_failing_step_on_a_thread_is_raised_after_every_step_has_stopped(threads_on_small_batches, monkeypatch):
    """update raises the first failure only once every other step has finished: no thread may
    still be writing weights when the caller goes on."""
    import time

    m = make_maddpg(agent_threads=2)
    finished = []

    def actor_loss(i, batch, gumbel=None):
        if i == 1:
            raise RuntimeError("boom")
        if i == 2:
            time.sleep(0.2)  # still running when agent 1 fails
        loss = FastMADDPG.actor_loss(m, i, batch, gumbel)
        finished.append(i)
        return loss

    monkeypatch.setattr(m, "actor_loss", actor_loss)
    with pytest.raises(RuntimeError, match="boom"):
        m.update(make_batch())
    assert sorted(finished) == [0, 2]
    assert all(p.requires_grad for net in m.critics for p in net.parameters())


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_agent_threads_must_be_a_whole_number(bad):
    with pytest.raises(ValueError, match=f"agent_threads={bad!r}"):
        FastMADDPG(OBS_DIMS, N_ACTIONS, agent_threads=bad)


def test_study_workers_keep_the_agents_on_one_thread(monkeypatch):
    """A study's worker processes (study.run_jobs' initializer) update in the plain loop even with
    agent_threads=2 on a recipe-sized batch, which the trainer alone spreads over threads."""
    from maddpg_lite.bench import random_buffer
    from maddpg_lite.study import _agents_on_one_thread

    batch = random_buffer(2048, np.random.default_rng(0)).sample(1024, np.random.default_rng(1))
    alone = FastMADDPG(OBS_DIMS, N_ACTIONS, agent_threads=2)
    names = threads_of_steps(alone, monkeypatch)
    alone.update(batch)
    assert "MainThread" not in names
    monkeypatch.setattr(fast_module, "MIN_THREADED_ROWS", fast_module.MIN_THREADED_ROWS)  # restored afterwards
    _agents_on_one_thread()
    worker = FastMADDPG(OBS_DIMS, N_ACTIONS, agent_threads=2)
    names = threads_of_steps(worker, monkeypatch)
    worker.update(batch)
    assert set(names) == {"MainThread"} and len(names) == 2 * N


def trainer_sized_batch(seed: int) -> Batch:
    from maddpg_lite.bench import random_buffer

    rng = np.random.default_rng(seed)
    return random_buffer(4096, rng).sample(1024, rng)


@pytest.mark.parametrize("recipe", ["book", "paper"])
def test_fast_agrees_with_the_plain_loop_at_the_trainers_sizes(recipe):
    """The trainer's round (2 threads, adam_step, foreach clipping and soft update, batched target
    actions) against the plain MADDPG's loop: 1024-row batches, 64 units, five rounds, the same seed.
    Losses and every weight agree within THREADS_TOLERANCE (on this machine they are equal to the bit:
    bench --plain-vs-fast prints same_weights)."""
    kwargs = dict(action_mode="soft", grad_clip=0.5) if recipe == "paper" else {}
    runs = {}
    for cls, extra in ((MADDPG, {}), (FastMADDPG, {"agent_threads": 2})):
        m = make_maddpg(cls=cls, hidden_dim=64, **kwargs, **extra)
        torch.manual_seed(3)
        batches = [[trainer_sized_batch(10 * k + i) for i in range(N)] if recipe == "paper" else trainer_sized_batch(k)
                   for k in range(5)]
        runs[cls] = m, [m.update(b) for b in batches]
    (plain, plain_losses), (fast, fast_losses) = runs[MADDPG], runs[FastMADDPG]
    flat = lambda rounds: [x for r in rounds for k in ("critic_loss", "actor_loss") for x in r[k]]  # noqa: E731
    np.testing.assert_allclose(flat(fast_losses), flat(plain_losses), rtol=0, atol=THREADS_TOLERANCE)
    for a, b in zip(state_of(plain), state_of(fast), strict=True):
        torch.testing.assert_close(b, a, rtol=0, atol=THREADS_TOLERANCE)


def test_fused_clipping_clips_as_the_plain_loop_does():
    from maddpg_lite import maddpg

    torch.manual_seed(0)
    grads = [torch.randn(64, 43), torch.randn(64) * 0.01, torch.randn(5, 64) * 3]
    plain, fused = ([torch.nn.Parameter(torch.zeros_like(g)) for g in grads] for _ in range(2))
    for tensors in (plain, fused):
        for p, g in zip(tensors, grads):
            p.grad = g.clone()
    maddpg.clip_grad_per_tensor(plain, 0.5)
    fast_module.clip_grad_per_tensor(fused, 0.5)
    for a, b in zip(plain, fused):
        torch.testing.assert_close(b.grad, a.grad, rtol=1e-6, atol=0)
    assert fused[1].grad.norm() < 0.5 and fused[0].grad.norm() == pytest.approx(0.5, rel=1e-5)  # small kept, large cut
