"""unetcheck's metrics against MONAI's own, on our trimaps and predictions that miss by a
few pixels: a MONAI team reads the same figures from either.

Where the two disagree, by definition, is a class present in the truth but never predicted
(the last image's border here): MONAI gives that class's precision and HD95 as NaN (0/0,
an empty set of distances), unetcheck 0 (as torchmetrics and scikit-learn do) and inf (as
MONAI's own ASSD does), so that a missed class is not left out of a mean.
"""

import numpy as np
import pytest
import torch
from monai.metrics import (
    compute_average_surface_distance,
    compute_confusion_matrix_metric,
    compute_dice,
    compute_hausdorff_distance,
    compute_iou,
    compute_surface_dice,
    get_confusion_matrix,
)

from unetcheck.metrics import per_image_metrics
from unetcheck.pets.synthetic import synthetic_examples

TOLERANCE = 2.0  # NSD's, in pixels
# MONAI 1.5's surface metrics pass a deprecated argument to its own helper, once per call.
pytestmark = pytest.mark.filterwarnings("ignore:.*always_return_as_numpy.*:FutureWarning")


@pytest.fixture(scope="module")
def masks():
    """Trimaps 0..2, and predictions shifted by 1-3 pixels with a few wrong pixels; in the last
    image the border class is never predicted."""
    rng = np.random.default_rng(0)
    truth = np.stack(
        [
            e["segmentation_mask"][:48, :48, 0].astype(np.int64) - 1
            for e in synthetic_examples(6, seed=3, min_size=48, max_size=64)
        ]
    )
    pred = np.stack([np.roll(t, tuple(rng.integers(-3, 4, 2)), axis=(0, 1)) for t in truth])
    pred[rng.uniform(size=pred.shape) < 0.01] = 0
    pred[-1][pred[-1] == 2] = 1
    return truth, pred


def _one_hot(labels):
    return torch.nn.functional.one_hot(torch.from_numpy(labels), 3).permute(0, 3, 1, 2).float()


def test_region_metrics_agree(masks):
    truth, pred = masks
    ours = per_image_metrics(truth, pred, 3, surface=False)
    rows = ours.rows()
    y_pred, y = _one_hot(pred), _one_hot(truth)
    confusion = get_confusion_matrix(y_pred, y, include_background=True)
    theirs = {
        "iou": compute_iou(y_pred, y, include_background=True).numpy(),
        "dice": compute_dice(y_pred, y, include_background=True).numpy(),
        "precision": compute_confusion_matrix_metric("precision", confusion).numpy(),
        "recall": compute_confusion_matrix_metric("recall", confusion).numpy(),
    }
    for name, values in theirs.items():
        mine = np.array([list(row[name].values()) for row in rows])
        if name == "precision":
            assert np.isnan(values[-1, 2]) and mine[-1, 2] == 0.0  # the missed class: see above
            values[-1, 2] = 0.0
        # MONAI's figures are float32: equal within its rounding.
        np.testing.assert_allclose(mine, values, rtol=1e-6, err_msg=name)


def test_surface_metrics_agree(masks):
    truth, pred = masks
    ours = per_image_metrics(truth, pred, 3, nsd_tolerance=TOLERANCE).surface
    y_pred, y = _one_hot(pred), _one_hot(truth)
    with pytest.warns(UserWarning, match="prediction of class 2 is all 0"):
        theirs = {
            "nsd": compute_surface_dice(y_pred, y, [TOLERANCE] * 3, include_background=True),
            "hd95": compute_hausdorff_distance(y_pred, y, include_background=True, percentile=95),
            "assd": compute_average_surface_distance(y_pred, y, include_background=True, symmetric=True),
        }
    theirs = {name: values.numpy() for name, values in theirs.items()}
    assert np.isnan(theirs["hd95"][-1, 2]) and ours["hd95"][-1, 2] == np.inf  # the missed class: see above
    theirs["hd95"][-1, 2] = np.inf
    assert ours["nsd"][-1, 2] == 0.0 and ours["assd"][-1, 2] == np.inf  # as MONAI's
    for name, values in theirs.items():
        # Distances: ours in float64, MONAI's in float32 (relative rounding ~1e-7; 2e-6
        # absolute was the largest gap seen).
        np.testing.assert_allclose(ours[name], values, rtol=1e-6, err_msg=name)


def test_volumes_with_anisotropic_spacing_agree():
    """3-D masks (a CT-like 5 mm x 0.8 mm x 0.8 mm voxel), each class shifted by a voxel or two
    along some axis: NSD with a tolerance in millimetres, HD95 and ASSD in millimetres."""
    rng = np.random.default_rng(1)
    spacing = (5.0, 0.8, 0.8)
    truth = np.stack([np.kron(rng.integers(0, 3, (2, 3, 3)), np.ones((6, 8, 8), np.int64)) for _ in range(3)])
    pred = np.stack([np.roll(t, tuple(rng.integers(-2, 3, 3)), axis=(0, 1, 2)) for t in truth])
    ours = per_image_metrics(truth, pred, 3, nsd_tolerance=2.0, spacing=spacing).surface
    y_pred = torch.nn.functional.one_hot(torch.from_numpy(pred), 3).permute(0, 4, 1, 2, 3).float()
    y = torch.nn.functional.one_hot(torch.from_numpy(truth), 3).permute(0, 4, 1, 2, 3).float()
    theirs = {
        "nsd": compute_surface_dice(y_pred, y, [2.0] * 3, include_background=True, spacing=spacing),
        "hd95": compute_hausdorff_distance(y_pred, y, include_background=True, percentile=95, spacing=spacing),
        "assd": compute_average_surface_distance(y_pred, y, include_background=True, symmetric=True, spacing=spacing),
    }
    for name, values in theirs.items():
        # MONAI's float32 against our float64, as above.
        np.testing.assert_allclose(ours[name], values.numpy(), rtol=1e-6, err_msg=name)
