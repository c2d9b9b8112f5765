"""The replay buffer D: ring-buffer wrap-around, size cap, per-agent widths, sampling."""

import numpy as np
import pytest
import torch

from maddpg_lite.buffer import Batch, ReplayBuffer

OBS_DIMS = (2, 3)  # two agents with observations of different widths
N_ACTIONS = 4


def block(first_id: int, k: int):
    """K transitions whose every field encodes the transition's id t = first_id .. first_id + k - 1."""
    t = np.arange(first_id, first_id + k, dtype=np.float32)
    obs = [np.repeat(t[:, None], d, axis=1) + 0.1 * i for i, d in enumerate(OBS_DIMS)]
    next_obs = [o + 1000 for o in obs]
    actions = np.zeros((k, len(OBS_DIMS), N_ACTIONS), np.float32)
    for i in range(len(OBS_DIMS)):
        actions[np.arange(k), i, (t.astype(int) + i) % N_ACTIONS] = 1.0
    rewards = np.stack([t, -t], axis=1)
    dones = np.stack([t % 2, t % 3 == 0], axis=1).astype(np.float32)
    return obs, actions, rewards, next_obs, dones


def assert_row_holds(buffer: ReplayBuffer, row: int, t: int):
    obs, actions, rewards, next_obs, dones = block(t, 1)
    for i in range(len(OBS_DIMS)):
        assert np.array_equal(buffer.obs[i][row], obs[i][0])
        assert np.array_equal(buffer.next_obs[i][row], next_obs[i][0])
    assert np.array_equal(buffer.actions[row], actions[0])
    assert np.array_equal(buffer.rewards[row], rewards[0])
    assert np.array_equal(buffer.dones[row], dones[0])


def test_arrays_have_per_agent_widths_and_float32():
    buffer = ReplayBuffer(7, OBS_DIMS, N_ACTIONS)
    assert [o.shape for o in buffer.obs] == [(7, 2), (7, 3)]
    assert [o.shape for o in buffer.next_obs] == [(7, 2), (7, 3)]
    assert buffer.actions.shape == (7, 2, N_ACTIONS)
    assert buffer.rewards.shape == buffer.dones.shape == (7, 2)
    assert all(a.dtype == np.float32 for a in [*buffer.obs, buffer.actions, buffer.rewards, buffer.dones])


def test_wrap_around_keeps_the_newest_rows_in_place():
    capacity, k = 5, 3
    buffer = ReplayBuffer(capacity, OBS_DIMS, N_ACTIONS)
    sizes = []
    for n_blocks in range(1, 5):  # 3, 6, 9, 12 transitions written
        buffer.add(*block((n_blocks - 1) * k, k))
        sizes.append(len(buffer))
    assert sizes == [3, 5, 5, 5]  # capped at the capacity
    written = 4 * k
    assert buffer.pos == written % capacity
    # transition t lives in row t % capacity; the newest `capacity` ones (7..11) survive
    for t in range(written - capacity, written):
        assert_row_holds(buffer, t % capacity, t)


def test_block_exactly_filling_and_wrapping():
    buffer = ReplayBuffer(4, OBS_DIMS, N_ACTIONS)
    buffer.add(*block(0, 4))
    assert len(buffer) == 4 and buffer.pos == 0
    buffer.add(*block(4, 1))
    assert_row_holds(buffer, 0, 4)
    for row in range(1, 4):
        assert_row_holds(buffer, row, row)


def test_sample_shapes_dtypes_and_consistent_rows():
    buffer = ReplayBuffer(50, OBS_DIMS, N_ACTIONS)
    buffer.add(*block(0, 20))
    batch = buffer.sample(64, np.random.default_rng(0))
    assert isinstance(batch, Batch)
    assert [o.shape for o in batch.obs] == [(64, 2), (64, 3)]
    assert [o.shape for o in batch.next_obs] == [(64, 2), (64, 3)]
    assert batch.actions.shape == (64, 2, N_ACTIONS)
    assert batch.rewards.shape == batch.dones.shape == (64, 2)
    tensors = [*batch.obs, *batch.next_obs, batch.actions, batch.rewards, batch.dones]
    assert all(isinstance(x, torch.Tensor) and x.dtype == torch.float32 for x in tensors)
    # each sampled row is one whole transition: every field encodes the same id
    t = batch.rewards[:, 0]
    assert torch.equal(batch.rewards[:, 1], -t)
    assert torch.equal(batch.obs[1][:, 0], t + 0.1)
    assert torch.equal(batch.next_obs[0][:, 1], t + 1000)
    assert torch.equal(batch.actions[:, 0].argmax(-1), t.long() % N_ACTIONS)
    assert torch.equal(batch.dones[:, 0], t % 2)


def test_sample_draws_only_filled_rows_uniformly():
    buffer = ReplayBuffer(100, OBS_DIMS, N_ACTIONS)
    buffer.add(*block(0, 7))
    n = 7000
    ids = buffer.sample(n, np.random.default_rng(1)).rewards[:, 0].long()
    counts = torch.bincount(ids, minlength=7)
    assert len(counts) == 7  # no id >= 7: the 93 empty rows are never drawn
    p = 1 / 7
    assert ((counts / n - p).abs() < 4.5 * np.sqrt(p * (1 - p) / n)).all(), counts


def test_sampling_is_reproducible_with_the_generator():
    buffer = ReplayBuffer(30, OBS_DIMS, N_ACTIONS)
    buffer.add(*block(0, 30))
    a = buffer.sample(16, np.random.default_rng(3)).rewards
    b = buffer.sample(16, np.random.default_rng(3)).rewards
    c = buffer.sample(16, np.random.default_rng(4)).rewards
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_empty_buffer_refuses_to_sample():
    with pytest.raises(ValueError, match="empty"):
        ReplayBuffer(10, OBS_DIMS, N_ACTIONS).sample(4, np.random.default_rng(0))


def test_sample_many_reads_the_same_rows_as_indexing_each_array():
    # one gather from the table gives exactly what indexing every array would (the layout is
    # an implementation detail: training results must not depend on it)
    rng = np.random.default_rng(0)
    buffer = ReplayBuffer(50, (2, 3), N_ACTIONS)
    k = 40
    buffer.add([rng.standard_normal((k, 2)), rng.standard_normal((k, 3))],
               np.eye(N_ACTIONS)[rng.integers(N_ACTIONS, size=(k, 2))], rng.standard_normal((k, 2)),
               [rng.standard_normal((k, 2)), rng.standard_normal((k, 3))], (rng.random((k, 2)) < 0.3))
    draw = np.random.default_rng(7)
    batches = buffer.sample_many(3, 8, draw)
    idx = np.random.default_rng(7).integers(0, len(buffer), size=24).reshape(3, 8)
    for b, rows in zip(batches, idx):
        assert all(np.array_equal(b.obs[i].numpy(), buffer.obs[i][rows]) for i in range(2))
        assert all(np.array_equal(b.next_obs[i].numpy(), buffer.next_obs[i][rows]) for i in range(2))
        assert np.array_equal(b.actions.numpy(), buffer.actions[rows])
        assert np.array_equal(b.rewards.numpy(), buffer.rewards[rows])
        assert np.array_equal(b.dones.numpy(), buffer.dones[rows])
        assert all(t.is_contiguous() for t in [*b.obs, *b.next_obs, b.actions, b.rewards, b.dones])
