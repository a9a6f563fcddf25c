"""The CRNN honours its padding mask."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ocr_jax.models import crnn


@pytest.mark.parametrize("train", [False, True])
def test_padded_and_unpadded_line_give_same_logits_on_real_part(train):
  model = crnn.CRNN(num_classes=11, features=(8, 16, 16, 16), hidden=16)
  rng = np.random.default_rng(0)
  real = rng.random((1, 32, 96, 1)).astype(np.float32)
  padded = np.zeros((1, 32, 160, 1), np.float32)
  padded[:, :, :96] = real
  pad_mask = np.zeros((1, 160), np.float32)
  pad_mask[:, 96:] = 1
  variables = model.init(jax.random.PRNGKey(0), jnp.asarray(real), jnp.zeros((1, 96)))
  # Non-trivial BatchNorm statistics, so eval mode is tested with real running averages.
  variables = jax.tree_util.tree_map(lambda x: x + 0.1, variables)

  def run(x, p):
    if train:
      (logits, lp), _ = model.apply(variables, x, p, train=True, mutable=["batch_stats"])
    else:
      logits, lp = model.apply(variables, x, p, train=False)
    return np.asarray(logits), np.asarray(lp)

  logits_a, lp_a = run(real, np.zeros((1, 96), np.float32))
  logits_b, lp_b = run(padded, pad_mask)
  assert logits_a.shape == (1, 24, 11) and logits_b.shape == (1, 40, 11)
  assert lp_a.sum() == 0 and np.array_equal(lp_b[0, 24:], np.ones(16))
  np.testing.assert_allclose(logits_a, logits_b[:, :24], atol=2e-5)
  # And the padding is really there to be ignored: unmasked, the padded copy differs.
  logits_c, _ = run(padded, np.zeros((1, 160), np.float32))
  assert np.abs(logits_c[:, :24] - logits_a).max() > 1e-3
