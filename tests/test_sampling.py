import numpy as np
import pytest
import torch
from scipy.stats import chisquare

from subliminal_learning.lm.sampling import InverseCdfSampler, inverse_cdf_draw


def test_draws_follow_the_softmax_at_the_temperature():
    scores = torch.tensor([[2.0, 0.5, -1.0, 0.0, float("-inf"), 1.0]])
    temperature = 0.7
    sampler = InverseCdfSampler(temperature, seed=0, device=torch.device("cpu"))
    n = 20_000
    rows = sampler(None, scores.expand(n, -1).clone())
    drawn = rows.argmax(dim=-1)
    assert torch.isinf(rows).sum(dim=-1).eq(scores.shape[1] - 1).all()   # one-hot: greedy takes the draw
    counts = np.bincount(drawn.numpy(), minlength=scores.shape[1])
    expected = torch.softmax(scores[0] / temperature, dim=-1).double().numpy()
    expected *= n / expected.sum()
    assert counts[4] == 0                                                 # probability 0 is never drawn
    keep = expected > 0
    assert chisquare(counts[keep], expected[keep]).pvalue > 1e-3


def test_a_uniform_lands_on_the_token_whose_cdf_step_holds_it():
    probabilities = torch.tensor([[0.2, 0.0, 0.5, 0.3]] * 5)
    uniforms = torch.tensor([0.0, 0.1999, 0.2, 0.6999, 0.99999])
    assert inverse_cdf_draw(probabilities, uniforms).tolist() == [0, 0, 2, 2, 3]


def test_the_sampler_is_seeded():
    scores = torch.zeros(64, 10)
    def draw(seed):
        return InverseCdfSampler(1.0, seed, torch.device("cpu"))(None, scores.clone()).argmax(-1).tolist()
    assert draw(3) == draw(3) != draw(4)


def test_a_temperature_of_zero_is_refused():
    with pytest.raises(ValueError, match="temperature above 0"):
        InverseCdfSampler(0.0, 0, torch.device("cpu"))
