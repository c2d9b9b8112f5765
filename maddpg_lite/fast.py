"""The trainer's MADDPG: the update round of :class:`~maddpg_lite.maddpg.MADDPG`, made faster.

A student can skip this module: it changes how fast a round runs, not what it computes. Three
things make the difference on these small networks, where a round costs mostly torch's fixed
cost per operation (``python -m maddpg_lite.bench --plain-vs-fast`` measures the two side by side):

* the agents' steps run side by side on ``agent_threads`` threads (batches of
  :data:`MIN_THREADED_ROWS` rows or more): agent i's critic and actor steps read only its own
  networks, its batch and the target actions, so the agents are independent within a round;
* each optimizer step is torch's foreach Adam step without its per-call bookkeeping
  (:func:`adam_step`), the gradient clipping and the soft update one foreach call each;
* with a batch per agent (the paper's recipe), each target actor acts on the N batches at once.

The random numbers are drawn in the plain loop's order, before any thread starts, so the two agree
up to float rounding (equal to the bit where measured: ``tests/test_fast.py``).
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor, wait

import torch

from .buffer import Batch
from .functional import gumbel_softmax, sample_gumbel
from .maddpg import MADDPG

MIN_THREADED_ROWS = 768
"""Update rounds on batches of fewer rows (per agent) run in one thread whatever ``agent_threads``
says: on small batches the hand-offs between threads cost more than they save
(``python -m maddpg_lite.bench --agent-threads`` measures both ways at several batch sizes)."""


def _thread_pool(threads: int) -> ThreadPoolExecutor:
    """One pool of ``threads`` threads, shared by every FastMADDPG of this process that asks for that
    many while torch runs on the same number of CPU threads (``torch.get_num_threads()``)."""
    # a forked child must not reuse its parent's (dead) threads: the pid is part of the key
    return _pool_of_process(threads, torch.get_num_threads(), os.getpid())


@functools.cache
def _pool_of_process(threads: int, torch_threads: int, pid: int) -> ThreadPoolExecutor:
    # torch's CPU thread count is per thread: a new thread starts at the machine's default, not
    # at what the caller set. Without this, a pool thread's first matrix products could take
    # another path than the caller's and differ in the last bit (seen on 6-row batches).
    return ThreadPoolExecutor(threads, thread_name_prefix="maddpg-agent",
                              initializer=torch.set_num_threads, initargs=(torch_threads,))


def _results(futures: list) -> list:
    """The futures' results in order; waits for all of them even on an error or Ctrl-C, so that
    no thread is still writing weights when the caller goes on."""
    try:
        return [f.result() for f in futures]
    finally:
        wait(futures)


def adam_step(optimizer: torch.optim.Adam, params: list) -> None:
    """One step of ``optimizer`` (torch's Adam with ``foreach=True``, no weight decay, amsgrad or
    maximize) on ``params``, all of which have a gradient: exactly the tensor operations of
    torch's own foreach step (``torch.optim.adam._multi_tensor_adam`` with ``capturable=False``),
    in the same order and with the same scalars, so the numbers are the same to the bit
    (``tests/test_fast.py``), but without its per-call bookkeeping, a large part of a small
    network's step. The optimizer's state stays torch's: ``optimizer.step()`` can take over at any time.
    """
    group = optimizer.param_groups[0]
    if (len(optimizer.param_groups) != 1 or group["amsgrad"] or group["weight_decay"] or group["maximize"]
            or any(p.grad is None for p in params)):
        optimizer.step()  # not the case this replicates: torch's own step
        return
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    state = optimizer.state
    for p in params:  # lazy initialisation, as torch's Adam._init_group does it
        if len(state[p]) == 0:
            state[p]["step"] = torch.tensor(0.0, dtype=torch.get_default_dtype())
            state[p]["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state[p]["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
    steps = [state[p]["step"] for p in params]
    exp_avgs = [state[p]["exp_avg"] for p in params]
    exp_avg_sqs = [state[p]["exp_avg_sq"] for p in params]
    grads = [p.grad for p in params]
    with torch.no_grad():
        torch._foreach_add_(steps, torch.tensor(1.0), alpha=1.0)
        torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
        torch._foreach_mul_(exp_avg_sqs, beta2)
        torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
        step_size = [(lr / (1 - beta1 ** t.item())) * -1 for t in steps]
        bias_correction2_sqrt = [(1 - beta2 ** t.item()) ** 0.5 for t in steps]
        denom = torch._foreach_sqrt(exp_avg_sqs)
        torch._foreach_div_(denom, bias_correction2_sqrt)
        torch._foreach_add_(denom, eps)
        torch._foreach_addcdiv_(params, exp_avgs, denom, step_size)


@torch.no_grad()
def clip_grad_per_tensor(parameters, max_norm: float) -> None:
    """:func:`maddpg_lite.maddpg.clip_grad_per_tensor` (each tensor's gradient scaled to norm at most
    ``max_norm``) with one foreach call for the norms and one for the scaling."""
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    norms = torch.stack(torch._foreach_norm(grads))  # (number of tensors,)
    scale = max_norm / torch.clamp(norms, min=max_norm)  # 1 where the norm is within max_norm
    torch._foreach_mul_(grads, list(scale.unbind()))


class FastMADDPG(MADDPG):
    """:class:`~maddpg_lite.maddpg.MADDPG` with a faster update round (the trainer's default).

    Args:
        agent_threads: threads on which an update round runs the agents' steps side by side
            (batches of :data:`MIN_THREADED_ROWS` rows or more); 1: one thread. Any value gives the
            plain loop's numbers up to float rounding (see :class:`~maddpg_lite.config.Config`).
        everything else: as :class:`~maddpg_lite.maddpg.MADDPG`.
    """

    def __init__(self, *args, agent_threads: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(agent_threads, bool) or not isinstance(agent_threads, int) or agent_threads < 1:
            raise ValueError(f"agent_threads must be a whole number >= 1, got agent_threads={agent_threads!r}")
        self.agent_threads = agent_threads
        # parameter lists made once: walking a module's parameters costs more than the small steps on them
        self._target_params = [p for net in self.target_actors + self.target_critics for p in net.parameters()]
        self._source_params = [p for net in self.actors + self.critics for p in net.parameters()]

    @staticmethod
    def _hyper_parameters(config) -> dict:
        return {**MADDPG._hyper_parameters(config), "agent_threads": config.agent_threads}

    def update(self, batch) -> dict[str, list[float]]:
        """:meth:`MADDPG.update`, the same numbers up to float rounding, faster."""
        batches = self.batch_per_agent(batch)
        per_agent_batches = not isinstance(batch, Batch)
        threaded = self.agent_threads > 1 and len(batches[0].rewards) >= MIN_THREADED_ROWS
        if per_agent_batches:  # the target actors act on all N batches at once: one forward per actor
            joint = self._target_actions([torch.cat([b.next_obs[j] for b in batches]) for j in range(self.n_agents)],
                                         threaded)
            next_of = [list(per_batch) for per_batch in zip(*(a.chunk(self.n_agents) for a in joint))]
        else:
            next_of = [self._target_actions(batch.next_obs, threaded)] * self.n_agents
        noise = [sample_gumbel((len(b.obs[i]), a)) for i, (b, a) in enumerate(zip(batches, self.action_dims))]
        if not threaded:
            losses = [(self.critic_step(i, batches[i], next_of[i]), self.actor_step(i, batches[i], noise[i]))
                      for i in range(self.n_agents)]
        else:
            losses = self._steps_side_by_side(batches, next_of, noise)
        self.update_targets()
        return {"critic_loss": [c for c, _ in losses], "actor_loss": [a for _, a in losses]}

    def _target_actions(self, next_obs, threaded: bool) -> list[torch.Tensor]:
        """:meth:`MADDPG.target_actions`; ``threaded``: the soft samples side by side on the threads."""
        if self.action_mode != "soft":
            return self.target_actions(next_obs)
        noise = [sample_gumbel((len(o), a)) for o, a in zip(next_obs, self.action_dims)]  # in agent order
        return self._map(self._soft_target_action, range(self.n_agents), next_obs, noise, threaded=threaded)

    def _soft_target_action(self, j: int, next_obs_j: torch.Tensor, gumbel: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():  # (grad mode is per thread)
            return gumbel_softmax(self.target_actors[j](next_obs_j), self.gumbel_tau, hard=False, gumbel=gumbel)

    def optimizer_step(self, optimizer: torch.optim.Adam, params: list) -> None:
        """:meth:`MADDPG.optimizer_step` with the fused clipping and :func:`adam_step`."""
        if self.grad_clip > 0:
            clip_grad_per_tensor(params, self.grad_clip)
        adam_step(optimizer, params)

    def _steps_side_by_side(self, batch_of, next_of, noise) -> list[tuple[float, float]]:
        """Every agent's critic step and then its actor step, on ``agent_threads`` threads. The
        pool takes tasks in order, all critic steps first, and actor step i waits for critic step
        i: 3 agents on 2 threads take three steps' time instead of four (two agents' two steps)."""
        pool = _thread_pool(self.agent_threads)
        critic = [pool.submit(self.critic_step, i, batch_of[i], next_of[i]) for i in range(self.n_agents)]

        def actor_step(i: int) -> float:
            critic[i].result()  # critic i is updated first, as in the loop
            return self.actor_step(i, batch_of[i], noise[i])

        actor = [pool.submit(actor_step, i) for i in range(self.n_agents)]
        losses = _results(critic + actor)
        return list(zip(losses[:self.n_agents], losses[self.n_agents:]))

    def _map(self, fn, *per_agent_args, threaded: bool) -> list:
        """``[fn(j, ...) for each agent j]``: in this thread, or if ``threaded``, on the threads."""
        if self.agent_threads == 1 or not threaded:
            return [fn(*args) for args in zip(*per_agent_args)]
        pool = _thread_pool(self.agent_threads)
        return _results([pool.submit(fn, *args) for args in zip(*per_agent_args)])

    def update_targets(self) -> None:
        """:meth:`MADDPG.update_targets` (multiply, then add ``tau`` times the source) for every
        target tensor at once."""
        with torch.no_grad():
            torch._foreach_mul_(self._target_params, 1.0 - self.tau)
            torch._foreach_add_(self._target_params, self._source_params, alpha=self.tau)
