"""Hypothesis strategies for images and trimaps shared by the suite."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

sides = st.integers(min_value=2, max_value=72)


@st.composite
def trimap_examples(draw: st.DrawFn, min_side: int = 2, max_side: int = 72) -> dict[str, np.ndarray]:
    """A TFDS-style example: uint8 RGB image and a same-sized uint8 trimap in {1, 2, 3}."""
    h = draw(st.integers(min_side, max_side))
    w = draw(st.integers(min_side, max_side))
    image = draw(hnp.arrays(np.uint8, (h, w, 3), elements=st.integers(0, 255)))
    mask = draw(hnp.arrays(np.uint8, (h, w, 1), elements=st.sampled_from([1, 2, 3])))
    return {"image": image, "segmentation_mask": mask}
