"""create_mask: argmax over classes, channel axis kept, whole batch kept."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from unetcheck import create_mask


@given(
    logits=hnp.arrays(
        np.float32,
        hnp.array_shapes(min_dims=4, max_dims=4, max_side=6),
        elements=st.floats(-10, 10, width=32),
        unique=True,
    )
)
def test_argmax_with_channel_axis(logits):
    # unique=True: no ties, where backends may pick either index (TF ranks -0.0 below 0.0).
    masks = np.asarray(create_mask(logits))
    assert masks.shape == logits.shape[:-1] + (1,)
    np.testing.assert_array_equal(masks[..., 0], np.argmax(logits, axis=-1))


def test_single_prediction_and_bad_rank():
    assert tuple(create_mask(np.zeros((4, 5, 3), np.float32)).shape) == (4, 5, 1)
    with pytest.raises(ValueError, match="got shape"):
        create_mask(np.zeros((4, 3), np.float32))
