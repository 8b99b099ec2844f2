"""What a verify run writes: the model, metrics.json, pictures, the checks table and report.md.

Pictures through matplotlib with no display needed (`pictures.pyplot`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from unetcheck.job.pictures import draw_confusion, pyplot
from unetcheck.metrics import registry, strict_json
from unetcheck.pets.trimaps import CLASS_NAMES

#: One colour per class id: pet orange, background dark slate, border yellow.
CLASS_COLOURS = ("#f28e2b", "#3b4a5a", "#f5e663")


def mask_to_rgb(mask: np.ndarray) -> np.ndarray:
    """RGB rendering (uint8, `CLASS_COLOURS`) of an (H, W) or (H, W, 1) mask of class ids."""
    palette = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in CLASS_COLOURS], np.uint8)
    return palette[np.asarray(mask).reshape(np.shape(mask)[:2]).astype(int)]


def _legend(fig: Any) -> None:
    import matplotlib.patches as mpatches

    handles = [mpatches.Patch(color=c, label=n) for c, n in zip(CLASS_COLOURS, CLASS_NAMES)]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False)


def plot_loss(loss: Sequence[float], val_loss: Sequence[float], path: str) -> str:
    """Training and validation loss per epoch, as the tutorial plots them."""
    plt = pyplot()
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
    plt = pyplot()
    n = len(images)
    fig, axes = plt.subplots(n, 3, figsize=(7.5, 2.5 * n + 0.6), squeeze=False)
    for row, (image, true, pred) in enumerate(zip(images, true_masks, pred_masks)):
        for ax, picture, name in zip(
            axes[row],
            (np.clip(image, 0, 1), mask_to_rgb(true), mask_to_rgb(pred)),
            ("Input Image", "True Mask", "Predicted Mask"),
        ):
            ax.imshow(picture, interpolation="nearest")
            ax.set_title(name)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.axis("off")
    if title:
        fig.suptitle(title)
    _legend(fig)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_confusion(confusion: Sequence[Sequence[int]], path: str) -> str:
    """The confusion matrix as a picture (`pictures.draw_confusion`), titled, written to `path`."""
    fig = draw_confusion(confusion, CLASS_NAMES)
    fig.axes[0].set_title("Test pixels by true and predicted class")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot().close(fig)
    return path


def class_columns() -> list[tuple[str, str]]:
    """The per-class table's columns: (heading, key in metrics.json), from the one list of metrics."""
    return [(registry.label(m.name), f"{m.name}_per_class") for m in registry.per_class_metrics()]


def class_rows(metrics: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The per-class table: (class, then each of `class_columns()` that the metrics hold)."""
    keys = [key for _, key in class_columns() if key in metrics]
    return [(name, *(metrics[key][name] for key in keys)) for name in CLASS_NAMES]


def check_rows(metrics: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The checks table: (check, PASS/FAIL/ERROR, the figure behind it), one row per check."""
    return [(c["name"], c["status"], c["figure"]) for c in metrics["checks"]]


def headline(metrics: dict[str, Any]) -> str:
    """The run's headline figures in one line."""
    return (
        f"mIoU {metrics['miou']:.3f} (majority baseline {metrics['majority_baseline_miou']:.3f}), "
        f"pixel accuracy {metrics['pixel_accuracy']:.3f}, wall {metrics['wall_s']:.0f} s"
    )


def format_table(metrics: dict[str, Any]) -> str:
    """The checks table, skipped examples and headline figures as plain text."""
    rows = check_rows(metrics)
    width = max(len(r[0]) for r in rows)
    lines = [f"{'check':<{width}}  result  figure", f"{'-' * width}  ------  ------"]
    lines += [f"{n:<{width}}  {r:<6}  {f}" for n, r, f in rows]
    if metrics.get("skipped"):
        lines.append(f"\nskipped {len(metrics['skipped'])} bad example(s):")
        lines += [f"  {b['split']}/{b['name']}: {b['reason']}" for b in metrics["skipped"]]
    leakage = metrics.get("leakage")
    if leakage is not None:
        lines.append(
            f"\ntrain/test leakage: {leakage['leaked_test_images']} test photo(s) copy a training photo"
            + (" (see report.md)" if leakage["leaked_test_images"] else "")
        )
    lines.append("\n" + headline(metrics))
    return "\n".join(lines)


def write_metrics(metrics: dict[str, Any], out_dir: str) -> str:
    """Writes `metrics.json` into `out_dir`; returns its path."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "metrics.json")
    return strict_json.dump(metrics, path)


def _leakage_section(metrics: dict[str, Any]) -> str:
    """The train/test leakage paragraph: none found, or the pairs."""
    leakage = metrics.get("leakage")
    if leakage is None:
        return ""
    head = "## Train/test leakage\n\n"
    how = (
        f"(exact pixels, or perceptual hashes within {leakage['max_distance']} of 64 bits, a mirror included: "
        "`unetcheck.checks.assert_no_leakage`)"
    )
    if not leakage["leaked_test_images"]:
        return head + f"No test photo is a copy of a training photo {how}.\n"
    pairs = "\n".join(
        f"| {p['train']} | {p['test']} | {'exact' if p['exact'] else p['distance']} | "
        f"{'yes' if p['mirrored'] else ''} |"
        for p in leakage["pairs"]
    )
    return head + (
        f"**{leakage['leaked_test_images']} test photo(s) are copies of training photos** {how}: "
        f"{leakage['exact_pairs']} exact and {leakage['near_pairs']} near pairs; their test figures "
        f"measure memory, not generalization.\n\n| train | test | bits apart | mirrored |\n"
        f"| --- | --- | --- | --- |\n{pairs}\n"
    )


def _overall_line(metrics: dict[str, Any]) -> str:
    """Every dataset-wide figure but mIoU (the headline's), as the one list of metrics names them."""
    figures = [
        f"{registry.label(key)} {metrics[key]:.3f}"
        for key in registry.overall_keys()
        if key != "miou" and key in metrics
    ]
    if "mean_nsd" in metrics:
        figures.append(f"NSD tolerance {metrics['nsd_tolerance']:g} px")
    return ", ".join(figures)


def _class_section(metrics: dict[str, Any]) -> str:
    """The per-class table and what its figures are."""
    columns = [(heading, key) for heading, key in class_columns() if key in metrics]
    counts = {f"{key}_per_class" for key in registry.count_keys()}
    classes = "\n".join(
        f"| {row[0]} | "
        + " | ".join(f"{v:.0f}" if key in counts else f"{v:.3f}" for v, (_, key) in zip(row[1:], columns))
        + " |"
        for row in class_rows(metrics)
    )
    return f"""## Per class

| class | {" | ".join(heading for heading, _ in columns)} |
| --- |{" --- |" * len(columns)}
{classes}

Over all test pixels; boundary IoU compares the bands within {metrics["boundary_ratio"]:.0%} of the image
diagonal of each mask's contour (Cheng et al. 2021), where blurred or shifted edges show. NSD, HD95 and
ASSD (in pixels) are the surface distances of each test image averaged over the images where both masks
hold the class (MONAI's definitions; `unetcheck.metrics.surface`); missed and invented count the test
images where the class is in the truth and not predicted, and the reverse.
"""


def write_report_md(metrics: dict[str, Any], out_dir: str) -> str:
    """`report.md`: the checks table, the headline figures, the per-class table and the pictures."""
    rows = "\n".join(
        f"| {name} | {status if status == 'PASS' else f'**{status}**'} | {figure.replace('|', '/')} |"
        for name, status, figure in check_rows(metrics)
    )
    config = metrics["config"]
    text = f"""# unetcheck verify report

{"All checks passed." if metrics["passed"] else "**Some checks did not pass.**"}

| check | result | figure |
| --- | --- | --- |
{rows}

- mean IoU **{metrics["miou"]:.3f}** (majority-class baseline {metrics["majority_baseline_miou"]:.3f})
- {_overall_line(metrics)}
- data `{config["data"]}`, {config["size"]}x{config["size"]}, {len(metrics["loss"])} epochs, \
batch {config["batch_size"]}, seed {config["seed"]}; wall {metrics["wall_s"]:.0f} s

{_class_section(metrics)}
{_leakage_section(metrics)}
![confusion matrix](confusion.png)

## Loss

![loss](loss.png)

## Predictions on test images

![predictions](predictions.png)

Per-epoch samples are in `epochs/`; the trained model is `model.keras` (stock Keras layers:
`keras.models.load_model` loads it without unetcheck); every figure is in `metrics.json`, and
`per_image.json` holds each test image's counts, the baseline `unetcheck compare` reads;
`report.html` shows it all with each figure's interval and the worst test images.
"""
    path = os.path.join(out_dir, "report.md")
    with open(path, "w") as f:
        f.write(text)
    return path


#: Where a verify run keeps its test set's masks and photos, as PNGs named after the images
#: (`unetcheck evaluate truth predictions` measures them again; the page draws them).
MASK_FOLDERS = {"truth": "truth", "pred": "predictions", "images": "images"}


def mask_writer(out_dir: str) -> Callable[..., None]:
    """`write(images, masks, predictions, names)`: each test image's photo, true and predicted
    mask (class ids) as PNGs in `MASK_FOLDERS` under `out_dir`."""
    from PIL import Image

    for folder in MASK_FOLDERS.values():
        os.makedirs(os.path.join(out_dir, folder), exist_ok=True)

    def write(images: np.ndarray, masks: np.ndarray, predictions: np.ndarray, names: Sequence[str]) -> None:
        for image, mask, pred, name in zip(images, masks, predictions, names):
            photo = (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
            for kind, picture in (
                ("images", photo),
                ("truth", mask[..., 0].astype(np.uint8)),
                ("pred", pred[..., 0].astype(np.uint8)),
            ):
                path = os.path.join(out_dir, MASK_FOLDERS[kind], f"{name}.png")
                os.makedirs(os.path.dirname(path), exist_ok=True)
                Image.fromarray(picture).save(path)

    return write


def profile_file(split: str) -> str:
    """The file a run keeps a split's data profile in, beside `per_image.json`."""
    return f"data_{split}.json"


def write_report(
    metrics: dict[str, Any],
    per_image: Any,
    model: Any,
    images: np.ndarray,
    masks: np.ndarray,
    out_dir: str,
    profiles: Mapping[str, Any] | None = None,
) -> None:
    """Writes the report of a run into `out_dir` (where the job has written `model.keras`):
    `metrics.json`, `per_image.json`, `data_SPLIT.json` (each split's data profile),
    `loss.png`, `confusion.png`, `predictions.png` (`model`'s masks for up to four test
    images), `report.md` and `report.html` (`unetcheck.job.page`, drawing the masks the run
    wrote into `MASK_FOLDERS`)."""
    from unetcheck.reference.masks import create_mask

    os.makedirs(out_dir, exist_ok=True)
    per_image.save(os.path.join(out_dir, "per_image.json"))
    for split, profile in (profiles or {}).items():
        profile.save(os.path.join(out_dir, profile_file(split)))
    plot_loss(metrics["loss"], metrics["val_loss"], os.path.join(out_dir, "loss.png"))
    plot_confusion(metrics["confusion"], os.path.join(out_dir, "confusion.png"))
    shown = slice(0, min(4, len(images)))
    pred = np.asarray(create_mask(model(images[shown], training=False)))  # eager: no graph to trace for 4 images
    plot_predictions(images[shown], masks[shown], pred, os.path.join(out_dir, "predictions.png"))
    write_metrics(metrics, out_dir)
    write_report_md(metrics, out_dir)
    from unetcheck.job.page import write_verify_page

    write_verify_page(metrics, per_image, os.path.join(out_dir, "report.html"), per_image.intervals())
