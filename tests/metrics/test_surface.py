"""Surface distances (NSD, HD95, ASSD): against SciPy's erosion and exact Euclidean distance
transform, the tools MONAI's own definitions are built on (the MONAI example team checks
them against MONAI itself), and on cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import ndimage

from unetcheck.metrics.surface import directed_distances, label_edges, mask_edges, surface_metrics

CROSS = ndimage.generate_binary_structure(2, 1)
binary = hnp.arrays(bool, st.tuples(st.integers(1, 14), st.integers(1, 14)))
pairs = st.tuples(st.integers(1, 14), st.integers(1, 14)).flatmap(
    lambda shape: st.tuples(*[hnp.arrays(np.int64, shape, elements=st.integers(0, 2))] * 2)
)


def _scipy_edges(mask):
    return mask & ~ndimage.binary_erosion(mask, structure=CROSS, border_value=0)


def _scipy_distances(source, target):
    if not target.any():
        return np.full(int(source.sum()), np.inf)
    return ndimage.distance_transform_edt(~target)[source]


@given(mask=binary)
def test_edges_are_the_mask_minus_its_cross_erosion_with_the_border_outside(mask):
    np.testing.assert_array_equal(mask_edges(mask), _scipy_edges(mask))


@given(a=binary, data=st.data())
def test_directed_distances_equal_the_exact_distance_transform(a, data):
    b = data.draw(hnp.arrays(bool, a.shape))
    # Both are exact Euclidean distances; float64 square roots of the same integers agree.
    np.testing.assert_allclose(directed_distances(a, b), _scipy_distances(a, b), rtol=0, atol=1e-12)


@given(pair=pairs, tolerance=st.sampled_from([0.0, 1.0, 1.5, 2.0]))
def test_surface_metrics_follow_the_definitions(pair, tolerance):
    truth, pred = pair
    figures = surface_metrics(truth, pred, 3, tolerance)
    for c in range(3):
        t, p = truth == c, pred == c
        if not t.any() and not p.any():
            assert all(np.isnan(figures[name][c]) for name in ("nsd", "hd95", "assd"))
            continue
        to_true = _scipy_distances(_scipy_edges(p), _scipy_edges(t))
        to_pred = _scipy_distances(_scipy_edges(t), _scipy_edges(p))
        both = np.concatenate([to_true, to_pred])
        assert figures["nsd"][c] == pytest.approx((both <= tolerance).mean())
        assert figures["assd"][c] == pytest.approx(both.mean())
        if t.any() and p.any():
            hd95 = max(np.percentile(to_true, 95), np.percentile(to_pred, 95))
            assert figures["hd95"][c] == pytest.approx(hd95)
        else:  # in one mask only: missed entirely, or predicted where there is none
            assert figures["nsd"][c] == 0 and figures["hd95"][c] == np.inf == figures["assd"][c]


def test_a_shifted_square_by_hand():
    truth = np.zeros((12, 12), int)
    truth[3:9, 3:9] = 1
    pred = np.roll(truth, 1, axis=1)  # one pixel to the right
    figures = surface_metrics(truth, pred, 2, tolerance=1.0)
    # Each square's edge is its 20-pixel ring, and every pixel of one ring lies 0 or 1
    # pixel from the other ring: within a tolerance of 1, not of 0.5.
    assert figures["nsd"][1] == pytest.approx(1.0)
    assert figures["hd95"][1] == pytest.approx(1.0)
    inside = surface_metrics(truth, pred, 2, tolerance=0.5)
    assert inside["nsd"][1] < 1.0
    same = surface_metrics(truth, truth, 2)
    assert same["nsd"][1] == 1.0 and same["hd95"][1] == 0.0 and same["assd"][1] == 0.0


def test_ignored_pixels_belong_to_no_class():
    truth = np.zeros((8, 8), int)
    truth[:, 4:] = 1
    pred = truth.copy()
    pred[:, 3] = 1  # wrong, but only where the truth is void
    valid = np.ones_like(truth, bool)
    valid[:, 3] = False
    assert surface_metrics(truth, pred, 2, valid=valid)["hd95"][1] == 0.0
    assert surface_metrics(truth, pred, 2)["hd95"][1] == 1.0


def test_the_tolerance_must_be_a_distance():
    with pytest.raises(ValueError, match="tolerance must be a finite distance >= 0; got -1"):
        surface_metrics(np.zeros((2, 2), int), np.zeros((2, 2), int), 2, tolerance=-1)


volumes = st.tuples(st.integers(1, 7), st.integers(1, 7), st.integers(1, 7)).flatmap(
    lambda shape: st.tuples(*[hnp.arrays(np.int64, shape, elements=st.integers(0, 2))] * 2)
)
spacings = st.tuples(*[st.sampled_from([0.5, 0.8, 1.0, 2.5, 3.0])] * 3)


def _scipy_edges_nd(mask):
    return mask & ~ndimage.binary_erosion(
        mask, structure=ndimage.generate_binary_structure(mask.ndim, 1), border_value=0
    )


@given(pair=volumes, spacing=spacings, tolerance=st.sampled_from([0.0, 1.0, 2.5]))
def test_volumes_with_anisotropic_spacing_follow_the_definitions(pair, spacing, tolerance):
    """3-D, a voxel size per axis: edges by a 6-neighbour erosion, distances by SciPy's exact
    distance transform with `sampling`, as MONAI computes them."""
    truth, pred = pair
    figures = surface_metrics(truth, pred, 3, tolerance, spacing=spacing)
    for c in range(3):
        t, p = _scipy_edges_nd(truth == c), _scipy_edges_nd(pred == c)
        if not t.any() or not p.any():
            assert np.isnan(figures["nsd"][c]) == (not t.any() and not p.any())
            continue
        to_true = ndimage.distance_transform_edt(~t, sampling=spacing)[p]
        to_pred = ndimage.distance_transform_edt(~p, sampling=spacing)[t]
        both = np.concatenate([to_true, to_pred])
        # Both sides square, sum and root the same scaled offsets in float64: equal to rounding.
        assert figures["assd"][c] == pytest.approx(both.mean(), rel=1e-12)
        # NSD compares each distance with the tolerance: SciPy's and ours may differ in the last
        # bit, so a distance equal to the tolerance (2.5 = 2.5 mm along one axis) counts on both
        # sides with a margin of 1e-9, far below the smallest voxel size drawn (0.5).
        assert figures["nsd"][c] == pytest.approx((both <= tolerance + 1e-9).mean())
        hd95 = max(np.percentile(to_true, 95), np.percentile(to_pred, 95))
        assert figures["hd95"][c] == pytest.approx(hd95, rel=1e-12)


@given(pair=pairs)
def test_every_class_edge_from_one_pass_equals_each_mask_alone(pair):
    labels = pair[0]
    edges = label_edges(labels)
    for c in range(3):
        np.testing.assert_array_equal(edges & (labels == c), _scipy_edges(labels == c))


@given(a=binary, data=st.data(), spacing=st.tuples(*[st.sampled_from([0.3, 1.0, 2.0])] * 2))
def test_directed_distances_with_spacing_equal_the_sampled_distance_transform(a, data, spacing):
    b = data.draw(hnp.arrays(bool, a.shape))
    expected = ndimage.distance_transform_edt(~b, sampling=spacing)[a] if b.any() else np.full(int(a.sum()), np.inf)
    np.testing.assert_allclose(directed_distances(a, b, spacing), expected, rtol=1e-12)


def test_large_masks_need_no_pairwise_matrix():
    """Cityscapes-sized: 1024 x 2048 with 19 classes. A pairwise matrix of its 10^5 edge pixels
    would take 80 GB; the k-d tree answers in memory of the edges' order."""
    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 19, (16, 32))
    truth = np.kron(coarse, np.ones((64, 64), np.int64))
    pred = truth.copy()
    pred[:, 3:] = truth[:, :-3]  # every block 3 columns to the right (the first one 3 wider)
    figures = surface_metrics(truth, pred, 19, tolerance=2.0)
    present = np.isin(np.arange(19), coarse)
    # A shift of 3 columns: vertical edges lie 3 apart, horizontal ones coincide or lie up to 3 apart.
    assert np.all(figures["hd95"][present] == 3.0)
    assert np.all((figures["nsd"][present] > 0) & (figures["nsd"][present] < 1))


def test_spacing_is_checked():
    masks = np.zeros((4, 4), int)
    with pytest.raises(ValueError, match="spacing has 3 value"):
        surface_metrics(masks, masks, 2, spacing=(1, 1, 1))
    with pytest.raises(ValueError, match=r"spacing must hold finite sizes > 0; got \(1.0, 0.0\)"):
        surface_metrics(masks, masks, 2, spacing=(1, 0))
    with pytest.raises(ValueError, match=r"y_pred holds labels in \[5, 5\], outside \[0, 2\)"):
        surface_metrics(masks, masks + 5, 2)


def test_a_class_in_one_mask_only_is_inf_or_charged_the_diagonal():
    truth = np.zeros((6, 8), np.int64)
    truth[2:4, 2:5] = 1
    pred = np.zeros_like(truth)  # class 1 never predicted
    skipped = surface_metrics(truth, pred, 2)
    assert skipped["hd95"][1] == skipped["assd"][1] == np.inf and skipped["nsd"][1] == 0.0
    charged = surface_metrics(truth, pred, 2, missing_distance="diagonal", spacing=(2.0, 1.0))
    diagonal = np.hypot(6 * 2.0, 8 * 1.0)  # the image's diagonal in spacing units
    assert charged["hd95"][1] == charged["assd"][1] == diagonal and charged["nsd"][1] == 0.0
    np.testing.assert_array_equal(charged["hd95"][0], surface_metrics(truth, pred, 2, spacing=(2.0, 1.0))["hd95"][0])
    with pytest.raises(ValueError, match=r"missing_distance must be one of \('skip', 'diagonal'\)"):
        surface_metrics(truth, pred, 2, missing_distance="worst")
