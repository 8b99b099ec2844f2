"""Pictures and the markdown report of a verify run (matplotlib, no display needed)."""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from unetcheck.preprocess import CLASS_NAMES

#: One colour per class id: pet orange, background dark slate, border yellow.
CLASS_COLOURS = ("#f28e2b", "#3b4a5a", "#f5e663")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on CI or servers
    import matplotlib.pyplot as plt

    return plt


def mask_to_rgb(mask: np.ndarray) -> np.ndarray:
    """RGB rendering (uint8, `CLASS_COLOURS`) of an (H, W) or (H, W, 1) mask of class ids."""
    palette = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in CLASS_COLOURS], np.uint8)
    return palette[np.asarray(mask).reshape(np.shape(mask)[:2]).astype(int)]


def _legend(fig: Any) -> None:
    import matplotlib.patches as mpatches

    handles = [mpatches.Patch(color=c, label=n) for c, n in zip(CLASS_COLOURS, CLASS_NAMES)]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False)


def plot_loss(loss: Sequence[float], val_loss: Sequence[float], path: str) -> str:
    """Training and validation loss per epoch, as the tutorial plots them."""
    plt = _pyplot()
    epochs = np.arange(1, len(loss) + 1)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(epochs, loss, "r", label="Training loss")
    ax.plot(epochs[: len(val_loss)], val_loss, "bo", label="Validation loss")
    ax.set_title("Training and Validation Loss")
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Loss Value")
    ax.set_ylim(0, max([1.0, *loss, *val_loss]) * 1.05)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_predictions(
    images: np.ndarray, true_masks: np.ndarray, pred_masks: np.ndarray, path: str, title: str | None = None
) -> str:
    """One row per example: input image, true mask, predicted mask."""
    plt = _pyplot()
    n = len(images)
    fig, axes = plt.subplots(n, 3, figsize=(7.5, 2.5 * n + 0.6), squeeze=False)
    for row, (image, true, pred) in enumerate(zip(images, true_masks, pred_masks)):
        for ax, picture, name in zip(
            axes[row], (np.clip(image, 0, 1), mask_to_rgb(true), mask_to_rgb(pred)),
            ("Input Image", "True Mask", "Predicted Mask"),
        ):
            ax.imshow(picture, interpolation="nearest")
            ax.set_title(name)
            ax.axis("off")
    if title:
        fig.suptitle(title)
    _legend(fig)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_report_md(metrics: dict[str, Any], out_dir: str) -> str:
    """`report.md`: the checks table, the headline figures and the pictures."""
    iou = ", ".join(f"{name} {value:.3f}" for name, value in metrics["iou_per_class"].items())
    rows = "\n".join(
        f"| {c['name']} | {'PASS' if c['passed'] else '**FAIL**'} | {c['figure'].replace('|', '/')} |"
        for c in metrics["checks"]
    )
    text = f"""# unetcheck verify report

{'All checks passed.' if metrics['passed'] else '**Some checks failed.**'}

| check | result | figure |
| --- | --- | --- |
{rows}

- mean IoU **{metrics['miou']:.3f}** (majority-class baseline {metrics['majority_baseline_miou']:.3f})
- per-class IoU: {iou}
- pixel accuracy {metrics['pixel_accuracy']:.3f}
- data `{metrics['config']['data']}`, {metrics['config']['size']}x{metrics['config']['size']}, \
{len(metrics['loss'])} epochs, batch {metrics['config']['batch_size']}, seed {metrics['config']['seed']}; \
wall {metrics['wall_s']:.0f} s

## Loss

![loss](loss.png)

## Predictions on test images

![predictions](predictions.png)

Per-epoch samples are in `epochs/`; the trained model is `model.keras`; every figure is
in `metrics.json`.
"""
    path = os.path.join(out_dir, "report.md")
    with open(path, "w") as f:
        f.write(text)
    return path
