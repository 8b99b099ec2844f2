"""The pictures a report page holds inline: masks drawn over their photos, plots, each a PNG as a
`data:` address, so that the page is one file that opens offline.

Pillow encodes the pictures; matplotlib draws the plots, with no display needed.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: The largest side of a picture on the page, in pixels: a Cityscapes mask is shown at a
#: quarter of its size, so that a page of a dozen images stays a few megabytes.
MAX_SIDE = 512
#: How much of a photo shows through the mask drawn over it.
PHOTO_SHARE = 0.5


def palette(count: int) -> np.ndarray:
    """(count, 3) uint8 colours, one per class: matplotlib's tab20, then its tab20b, in turn."""
    from matplotlib import colormaps

    colours = np.array([*colormaps["tab20"].colors, *colormaps["tab20b"].colors])
    return (colours[np.arange(count) % len(colours)] * 255).round().astype(np.uint8)


def png_address(rgb: np.ndarray) -> str:
    """A `data:image/png;base64,...` address of an (H, W) or (H, W, 3) uint8 picture."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buffer, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def shrunk(picture: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """Every `step`-th pixel along each axis, `step` the smallest that brings the largest
    side to `max_side` or less: nearest sampling, so that a mask keeps its class ids."""
    step = max(1, int(np.ceil(max(picture.shape[:2]) / max_side)))
    return picture[::step, ::step]


def overlay(
    labels: np.ndarray, colours: np.ndarray, photo: np.ndarray | None = None, void: int | None = None
) -> np.ndarray:
    """(H, W, 3) uint8: each pixel in its class's colour, half over the photo where there is
    one; void pixels (and labels beyond the palette) show the photo, or black."""
    labels = np.asarray(labels)
    known = (labels >= 0) & (labels < len(colours))
    if void is not None:
        known &= labels != void
    drawn = colours[np.where(known, labels, 0)]
    base = np.zeros(labels.shape + (3,), np.uint8) if photo is None else _as_rgb(photo, labels.shape)
    mixed = drawn if photo is None else (PHOTO_SHARE * base + (1 - PHOTO_SHARE) * drawn).round().astype(np.uint8)
    return np.where(known[..., None], mixed, base)


def _as_rgb(photo: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    photo = np.asarray(photo)
    if photo.ndim == 2:
        photo = np.repeat(photo[..., None], 3, axis=-1)
    photo = photo[..., :3]
    if photo.shape[:2] != shape:
        raise ValueError(f"a photo of {photo.shape[:2]} for a mask of {shape}")
    if photo.dtype != np.uint8:
        photo = np.clip(photo * (255.0 if photo.max(initial=0) <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    return photo


def mask_slice(labels: np.ndarray) -> np.ndarray:
    """What a page shows of a mask: an image as it is, a volume's middle slice along its first axis."""
    return labels if labels.ndim == 2 else labels[labels.shape[0] // 2]


def read_photo(path: str) -> np.ndarray:
    """A photo as (H, W, 3) uint8 (Pillow: JPEG, PNG, ...; grey, palette and RGBA as RGB)."""
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def find_file(folder: str | None, name: str, suffixes: Sequence[str]) -> str | None:
    """The file `folder/name` with one of `suffixes`, or None."""
    if folder is None:
        return None
    for suffix in suffixes:
        path = os.path.join(folder, name + suffix)
        if os.path.isfile(path):
            return path
    return None


def pyplot() -> Any:
    """matplotlib's pyplot drawing into files only (no display on CI or servers)."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on CI or servers
    import matplotlib.pyplot as plt

    return plt


def figure_address(fig: Any) -> str:
    """A matplotlib figure as a PNG `data:` address; the figure is closed."""
    plt = pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def draw_confusion(confusion: Sequence[Sequence[int]], class_names: Sequence[str]) -> Any:
    """The confusion matrix as a matplotlib figure: each true class's row as shares, with the
    counts where the classes are few enough to read them."""
    plt = pyplot()
    counts = np.asarray(confusion, np.float64)
    shares = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    k = len(class_names)
    side = min(12.0, 3.0 + 0.45 * k)
    fig, ax = plt.subplots(figsize=(side + 1.2, side))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    if k <= 12:
        for (i, j), share in np.ndenumerate(shares):
            ax.text(
                j,
                i,
                f"{100 * share:.1f}%\n{int(counts[i, j]):,}",
                ha="center",
                va="center",
                color="white" if share > 0.6 else "black",
                fontsize=7,
            )
    ax.set_xticks(range(k), class_names, rotation=90 if k > 6 else 0)
    ax.set_yticks(range(k), class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of the true class")
    fig.tight_layout()
    return fig


def confusion_figure(confusion: Sequence[Sequence[int]], class_names: Sequence[str]) -> str:
    """`draw_confusion` as a PNG `data:` address."""
    return figure_address(draw_confusion(confusion, class_names))


def distribution_figure(values: Mapping[str, np.ndarray]) -> str:
    """One histogram per figure (label -> its per-image values; undefined ones left out)."""
    plt = pyplot()
    columns = min(4, max(1, len(values)))
    rows = int(np.ceil(len(values) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.4 * rows), squeeze=False)
    for ax, (label, data) in zip(axes.ravel(), values.items()):
        finite = np.asarray(data, np.float64)
        finite = finite[np.isfinite(finite)]
        ax.hist(finite, bins=min(30, max(5, len(finite) // 3)), color="#4e79a7")
        ax.set_title(f"{label} ({len(finite)} images)", fontsize=9)
        ax.tick_params(labelsize=8)
    for ax in axes.ravel()[len(values) :]:
        ax.axis("off")
    fig.tight_layout()
    return figure_address(fig)
