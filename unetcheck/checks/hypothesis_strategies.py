"""Hypothesis strategies for images, trimaps and TFDS-style examples, for any team's tests.

    from hypothesis import given
    from unetcheck.checks.hypothesis_strategies import examples

    @given(examples())
    def test_my_loader(example): ...

Needs Hypothesis: `pip install "unetcheck[hypothesis]"`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(
        'unetcheck.checks.hypothesis_strategies needs Hypothesis: pip install "unetcheck[hypothesis]"'
    ) from err


def images(height: Any = st.integers(2, 72), width: Any = st.integers(2, 72)) -> st.SearchStrategy[np.ndarray]:
    """uint8 RGB images (H, W, 3); pass ints or integer strategies for the sides."""
    return st.tuples(_side(height), _side(width)).flatmap(
        lambda hw: hnp.arrays(np.uint8, (hw[0], hw[1], 3), elements=st.integers(0, 255))
    )


def trimaps(
    height: Any = st.integers(2, 72), width: Any = st.integers(2, 72), labels: tuple[int, ...] = (1, 2, 3)
) -> st.SearchStrategy[np.ndarray]:
    """uint8 Oxford trimaps (H, W, 1) with values from `labels`."""
    return st.tuples(_side(height), _side(width)).flatmap(
        lambda hw: hnp.arrays(np.uint8, (hw[0], hw[1], 1), elements=st.sampled_from(labels))
    )


@st.composite
def examples(draw: st.DrawFn, min_side: int = 2, max_side: int = 72) -> dict[str, np.ndarray]:
    """TFDS-style `{"image", "segmentation_mask"}` dicts: a photo and a same-sized trimap."""
    h = draw(st.integers(min_side, max_side))
    w = draw(st.integers(min_side, max_side))
    return {"image": draw(images(h, w)), "segmentation_mask": draw(trimaps(h, w))}


def _side(value: Any) -> st.SearchStrategy[int]:
    return st.just(value) if isinstance(value, int) else value
