"""MADDPG: critic inputs, the two losses computed by hand from the same networks, one
update round (including the soft update of the targets), and checkpoints."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from maddpg_lite.buffer import Batch
from maddpg_lite.env import N_ACTIONS, OBS_DIMS
from maddpg_lite.functional import gumbel_softmax
from maddpg_lite.maddpg import ACTOR_LOGIT_PENALTY, MADDPG

torch.set_num_threads(1)  # tiny networks: one thread is fastest on a shared 2-core machine

B = 6
N = len(OBS_DIMS)


def make_batch(seed: int = 0, dones=None) -> Batch:
    g = torch.Generator().manual_seed(seed)
    obs = [torch.randn(B, d, generator=g) for d in OBS_DIMS]
    next_obs = [torch.randn(B, d, generator=g) for d in OBS_DIMS]
    actions = F.one_hot(torch.randint(N_ACTIONS, (B, N), generator=g), N_ACTIONS).float()
    rewards = torch.randn(B, N, generator=g)
    if dones is None:
        dones = torch.tensor([0.0, 1.0, 0.0, 0.0, 1.0, 0.0])[:, None].repeat(1, N)
    return Batch(obs, actions, rewards, next_obs, dones)


def make_maddpg(seed: int = 0, distinct_targets: bool = True, cls=MADDPG, **kwargs) -> MADDPG:
    """A MADDPG (or ``cls``) whose target networks differ from the networks (as they do after
    training), so a test can tell which of the two a loss used."""
    torch.manual_seed(seed)
    m = cls(OBS_DIMS, N_ACTIONS, hidden_dim=16, **kwargs)
    if distinct_targets:
        with torch.no_grad():
            for net in m.target_actors + m.target_critics:
                for p in net.parameters():
                    p.add_(0.3 * torch.randn_like(p))
    return m


def params(nets) -> list[torch.Tensor]:
    return [p.detach().clone() for net in nets for p in net.parameters()]


# ----- the critic's view -----------------------------------------------------------------------
def test_critic_input_sizes():
    central = MADDPG(OBS_DIMS, N_ACTIONS)
    independent = MADDPG(OBS_DIMS, N_ACTIONS, centralized=False)
    assert [c[0].in_features for c in central.critics] == [43, 43, 43]  # 8 + 10 + 10 + 3 * 5
    assert [c[0].in_features for c in independent.critics] == [13, 15, 15]  # o_i + a_i
    assert [a[0].in_features for a in central.actors] == list(OBS_DIMS)
    assert all(a[-1].out_features == N_ACTIONS for a in central.actors)
    assert all(c[-1].out_features == 1 for c in central.critics)


@pytest.mark.parametrize("centralized", [True, False])
def test_critic_input_layout_and_q_value_shape(centralized):
    m = make_maddpg(centralized=centralized)
    batch = make_batch()
    actions = batch.actions.unbind(dim=1)
    for i in range(N):
        x = m.critic_input(i, batch.obs, actions)
        expected = torch.cat(batch.obs + list(actions), 1) if centralized else torch.cat([batch.obs[i], actions[i]], 1)
        assert torch.equal(x, expected)
        q = m.q_value(m.critics[i], i, batch.obs, actions)
        assert q.shape == (B,)
        assert torch.equal(q, m.critics[i](expected)[:, 0])


def test_act_gives_one_hots_greedy_or_explored():
    m = make_maddpg()
    obs = [np.random.default_rng(0).standard_normal((50, d)).astype(np.float32) for d in OBS_DIMS]
    greedy = m.act(obs, explore=False)
    assert greedy.shape == (50, N, N_ACTIONS) and greedy.dtype == np.float32
    for i in range(N):
        logits = m.actors[i](torch.from_numpy(obs[i]))
        assert np.array_equal(greedy[:, i].argmax(-1), logits.argmax(-1).numpy())
    torch.manual_seed(1)
    explored = m.act(obs, explore=True)
    assert np.array_equal(explored.sum(-1), np.ones((50, N)))
    assert set(np.unique(explored)) == {0.0, 1.0}
    assert (explored.argmax(-1) != greedy.argmax(-1)).any()  # Gumbel noise changes some choices
    names = {"adversary_0": obs[0], "agent_0": obs[1], "agent_1": obs[2]}
    assert np.array_equal(m.act(names), greedy)  # a dict in agent order works too


# ----- the critic loss ---------------------------------------------------------------------------
@pytest.mark.parametrize("centralized", [True, False])
def test_critic_loss_equals_hand_computation(centralized):
    m = make_maddpg(centralized=centralized, gamma=0.9)
    batch = make_batch()
    for i in range(N):
        # by hand: target actors' greedy one-hots at x', target critic, done mask, then MSE
        next_actions = [F.one_hot(m.target_actors[j](batch.next_obs[j]).argmax(-1), N_ACTIONS).float()
                        for j in range(N)]
        actions = list(batch.actions.unbind(1))
        if centralized:
            x_next, x = torch.cat(batch.next_obs + next_actions, 1), torch.cat(batch.obs + actions, 1)
        else:
            x_next, x = torch.cat([batch.next_obs[i], next_actions[i]], 1), torch.cat([batch.obs[i], actions[i]], 1)
        target_q = m.target_critics[i](x_next)[:, 0]
        y = batch.rewards[:, i] + 0.9 * (1 - batch.dones[:, i]) * target_q
        q = m.critics[i](x)[:, 0]
        expected = ((q - y) ** 2).mean()
        loss = m.critic_loss(i, batch)
        torch.testing.assert_close(loss, expected, rtol=1e-6, atol=0)

        # the done rows really do not bootstrap: y there is the reward alone
        done_rows = batch.dones[:, i] == 1
        assert done_rows.any() and (~done_rows).any()
        # and the (B,1)-vs-(B,) broadcast mistake would give another number
        broadcast = ((q[:, None] - y[None, :]) ** 2).mean()  # (B, B) instead of (B,)
        assert not torch.isclose(loss, broadcast, rtol=1e-3)


def test_critic_loss_uses_the_target_networks():
    m = make_maddpg(gamma=0.9)
    batch = make_batch(dones=torch.zeros(B, N))
    loss = m.critic_loss(0, batch)
    with torch.no_grad():  # targets := networks changes the loss, so the targets were used
        for target, net in zip(m.target_actors + m.target_critics, m.actors + m.critics):
            target.load_state_dict(net.state_dict())
    assert not torch.isclose(loss, m.critic_loss(0, batch))


def test_critic_loss_gradient_reaches_only_its_critic():
    m = make_maddpg()
    batch = make_batch()
    m.critic_loss(1, batch).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.critics[1].parameters())
    for net in [m.critics[0], m.critics[2], *m.actors]:
        assert all(p.grad is None for p in net.parameters())
    assert not any(p.requires_grad for net in m.target_actors + m.target_critics for p in net.parameters())


# ----- the actor loss -------------------------------------------------------------------------------
def test_actor_loss_equals_hand_computation():
    m = make_maddpg(gumbel_tau=0.5)
    batch = make_batch()
    for i in range(N):
        torch.manual_seed(10 + i)
        loss = m.actor_loss(i, batch)
        torch.manual_seed(10 + i)  # the same Gumbel noise
        logits = m.actors[i](batch.obs[i])
        actions = list(batch.actions.unbind(1))
        actions[i] = gumbel_softmax(logits, 0.5, hard=True)  # only agent i acts with its current actor
        q = m.critics[i](torch.cat(batch.obs + actions, 1))[:, 0]
        expected = -q.mean() + ACTOR_LOGIT_PENALTY * (logits ** 2).mean()
        torch.testing.assert_close(loss, expected, rtol=1e-6, atol=0)


def test_actor_step_moves_only_its_actor():
    m = make_maddpg()
    batch = make_batch()
    i = 1
    critics_before, others_before = params(m.critics), params([m.actors[0], m.actors[2]])
    actor_before = params([m.actors[i]])
    assert [id(p) for g in m.actor_optimizers[i].param_groups for p in g["params"]] == \
        [id(p) for p in m.actors[i].parameters()]

    loss = m.actor_loss(i, batch)
    m.actor_optimizers[i].zero_grad()
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.actors[i].parameters())
    assert all(p.grad is None for j in (0, 2) for p in m.actors[j].parameters())
    m.actor_optimizers[i].step()

    assert all(not torch.equal(a, b) for a, b in zip(actor_before, params([m.actors[i]])))
    assert all(torch.equal(a, b) for a, b in zip(critics_before, params(m.critics)))  # critic not stepped
    assert all(torch.equal(a, b) for a, b in zip(others_before, params([m.actors[0], m.actors[2]])))


# ----- one update round -------------------------------------------------------------------------------
def test_update_steps_networks_and_soft_updates_targets():
    tau = 0.3
    m = make_maddpg(tau=tau)
    batch = make_batch()
    critic_losses_before = [m.critic_loss(i, batch).item() for i in range(N)]
    nets_before = [params([net]) for net in m.actors + m.critics]
    targets_before = [params([net]) for net in m.target_actors + m.target_critics]

    torch.manual_seed(0)
    losses = m.update(batch)

    assert set(losses) == {"critic_loss", "actor_loss"} and all(len(v) == N for v in losses.values())
    # each critic steps before anything it depends on has changed, so it reports the pre-update loss
    np.testing.assert_allclose(losses["critic_loss"], critic_losses_before, rtol=1e-6)
    nets_after = [params([net]) for net in m.actors + m.critics]
    for before, after in zip(nets_before, nets_after):
        assert all(not torch.equal(a, b) for a, b in zip(before, after))  # every actor and critic moved
    # theta' <- tau * theta_new + (1 - tau) * theta'_old, for every target actor and critic
    targets_after = [params([net]) for net in m.target_actors + m.target_critics]
    for old_target, new_net, new_target in zip(targets_before, nets_after, targets_after):
        for old, new, target in zip(old_target, new_net, new_target):
            torch.testing.assert_close(target, tau * new + (1 - tau) * old, rtol=0, atol=1e-6)
            assert not torch.equal(target, old)


def test_update_reduces_the_critic_loss_on_a_fixed_batch():
    m = make_maddpg(tau=0.0)  # frozen targets: a plain regression problem per critic
    batch = make_batch()
    before = [m.critic_loss(i, batch).item() for i in range(N)]
    for _ in range(30):
        m.update(batch)
    after = [m.critic_loss(i, batch).item() for i in range(N)]
    assert all(a < 0.5 * b for a, b in zip(after, before)), (before, after)


# ----- checkpoints -----------------------------------------------------------------------------------
def state_dicts(m: MADDPG):
    return [net.state_dict() for net in m.actors + m.critics + m.target_actors + m.target_critics]


def same_weights(a: MADDPG, b: MADDPG) -> bool:
    return all(torch.equal(x[k], y[k]) for x, y in zip(state_dicts(a), state_dicts(b)) for k in x)


def test_save_load_round_trip(tmp_path):
    m = make_maddpg(gamma=0.9, tau=0.05, gumbel_tau=0.7)
    torch.manual_seed(0)
    m.update(make_batch())
    m.save(tmp_path / "ck.pt", note="hello")
    loaded = MADDPG.load(tmp_path / "ck.pt")
    assert same_weights(m, loaded)
    assert (loaded.gamma, loaded.tau, loaded.gumbel_tau, loaded.hidden_dim) == (0.9, 0.05, 0.7, 16)
    obs = [np.random.default_rng(1).standard_normal((100, d)).astype(np.float32) for d in OBS_DIMS]
    assert np.array_equal(m.act(obs), loaded.act(obs))
    torch.manual_seed(2)
    explored = m.act(obs, explore=True)
    torch.manual_seed(2)
    assert np.array_equal(explored, loaded.act(obs, explore=True))
    assert MADDPG.read_checkpoint(tmp_path / "ck.pt")["extra"] == {"note": "hello"}
    assert not (tmp_path / "ck.pt.tmp").exists()


def test_checkpoint_without_targets_loads_targets_as_networks(tmp_path):
    m = make_maddpg()  # targets differ from the networks
    m.save(tmp_path / "full.pt")
    m.save(tmp_path / "small.pt", targets=False)
    assert (tmp_path / "small.pt").stat().st_size < 0.7 * (tmp_path / "full.pt").stat().st_size
    loaded = MADDPG.load(tmp_path / "small.pt")
    for net, target in zip(loaded.actors + loaded.critics, loaded.target_actors + loaded.target_critics):
        assert all(torch.equal(a, b) for a, b in zip(net.parameters(), target.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(params(m.actors), params(loaded.actors)))


def test_loading_another_shape_raises_clearly(tmp_path):
    MADDPG(OBS_DIMS, N_ACTIONS, hidden_dim=32).save(tmp_path / "h32.pt")
    with pytest.raises(ValueError) as info:
        MADDPG(OBS_DIMS, N_ACTIONS, hidden_dim=64).load_weights(tmp_path / "h32.pt")
    message = str(info.value)
    assert "h32.pt" in message and "'hidden_dim': 32" in message and "'hidden_dim': 64" in message
    with pytest.raises(ValueError, match="'centralized': False"):
        MADDPG(OBS_DIMS, N_ACTIONS, hidden_dim=32, centralized=False).load_weights(tmp_path / "h32.pt")


def test_loading_a_non_checkpoint_raises_clearly(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        MADDPG.load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    with pytest.raises(ValueError, match="not a maddpg_lite checkpoint"):
        MADDPG.load(tmp_path / "junk.pt")
    torch.save({"something": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a maddpg_lite checkpoint"):
        MADDPG.load(tmp_path / "other.pt")


def test_deepcopy_targets_start_equal_and_frozen():
    m = MADDPG(OBS_DIMS, N_ACTIONS)
    for net, target in zip(m.actors + m.critics, m.target_actors + m.target_critics):
        assert net is not target
        assert all(torch.equal(a, b) for a, b in zip(net.parameters(), target.parameters()))


def test_update_equals_the_pseudo_code_written_plainly():
    # MADDPG.update freezes critic i during the actor step (a speed-up); the result must be exactly
    # that of the plain pseudo-code: per agent a critic step then an actor step, then soft updates
    fast, plain = make_maddpg(), make_maddpg()
    batch = make_batch()
    torch.manual_seed(1)
    fast.update(batch)
    torch.manual_seed(1)
    next_actions = plain.target_actions(batch.next_obs)
    for i in range(N):
        for loss, optimizer in [(plain.critic_loss(i, batch, next_actions), plain.critic_optimizers[i]),
                                (None, plain.actor_optimizers[i])]:
            loss = plain.actor_loss(i, batch) if loss is None else loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    plain.update_targets()
    for kind in ("actors", "critics", "target_actors", "target_critics"):
        for a, b in zip(params(getattr(fast, kind)), params(getattr(plain, kind))):
            assert torch.equal(a, b), kind
    # and every critic can learn again afterwards; targets stay frozen
    assert all(p.requires_grad for net in fast.critics for p in net.parameters())
    assert not any(p.requires_grad for net in fast.target_critics + fast.target_actors for p in net.parameters())


def test_a_failing_actor_step_leaves_the_critic_trainable(monkeypatch):
    m = make_maddpg()
    monkeypatch.setattr(m, "actor_loss", lambda *args: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError, match="boom"):
        m.update(make_batch())
    assert all(p.requires_grad for p in m.critics[0].parameters())


def test_mlp_forward_equals_its_five_modules_one_by_one():
    """MLP's forward (F.linear with in-place ReLUs) gives the numbers and the gradients of running
    Linear, ReLU, Linear, ReLU, Linear as an nn.Sequential would, to the bit."""
    from maddpg_lite.maddpg import MLP, mlp

    torch.manual_seed(0)
    net = mlp(43, 5, 64)
    assert isinstance(net, MLP) and [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    x = torch.randn(300, 43)
    fast = net(x)
    slow = x
    for module in net:
        slow = module(slow)
    assert torch.equal(fast, slow)
    grads = []
    for y in (fast, slow):
        net.zero_grad()
        (y ** 2).mean().backward(retain_graph=True)
        grads.append([p.grad.clone() for p in net.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*grads))
    assert (net[0](x) < 0).any()  # the ReLUs do cut something
