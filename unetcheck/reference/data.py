"""The one switch between data sources, and `validate-data`'s account of a source."""

from __future__ import annotations

import os
from typing import Any

from unetcheck.errors import InputError
from unetcheck.pets.trimaps import CLASS_NAMES, SPLITS
from unetcheck.reference.scan import scan_examples
from unetcheck.reference.sources import Source, synthetic_pets

SYNTHETIC = "synthetic"
TFDS = "tfds"


def load_source(
    data: str = SYNTHETIC, data_dir: str | os.PathLike | None = None, skip_bad: bool = False, **synthetic_options: Any
) -> Source:
    """Loads a source by name: "synthetic" (default), "tfds" (or "tfds:VERSION"), or a folder path.

    Args:
      data: "synthetic", "tfds", "tfds:4.*.*", or the path of an Oxford-IIIT Pet folder.
      data_dir: TFDS data directory (tfds only).
      skip_bad: leave bad examples out, listed in `Source.skipped` (tfds and folder).
      **synthetic_options: `num_train`, `num_test`, `seed`, ... for the synthetic source.

    Raises:
      ValueError: an unknown or unusable source, with the reason.
    """
    from unetcheck.reference import oxford

    if data == SYNTHETIC:
        return synthetic_pets(**synthetic_options)
    if data == TFDS or data.startswith(TFDS + ":"):
        version = data.partition(":")[2] or oxford.TFDS_VERSION
        return oxford.oxford_tfds(data_dir=data_dir, version=version, skip_bad=skip_bad)
    if data_dir is not None:
        raise InputError("--data-dir is for --data tfds; for a folder pass its path as --data")
    if not os.path.exists(data):
        raise InputError(f"unknown data source {data!r}: not 'synthetic', 'tfds', nor an existing path")
    return oxford.oxford_folder(data, skip_bad=skip_bad)


def describe_source(source: Source) -> dict[str, Any]:
    """Examples per split, image sizes, class pixel frequencies and every bad example."""
    report: dict[str, Any] = {"source": source.name, "splits": {}, "bad": list(source.skipped)}
    for split in SPLITS:
        stats = source.stats[split] if source.stats else None
        if stats is None:
            stats, reasons = scan_examples(source.split(split))
            report["bad"] += [{"split": split, "name": n, "reason": r} for n, r in reasons.items()]
        counts = [sum(s.label_counts[i] for s in stats) for i in range(len(CLASS_NAMES))]
        total = max(sum(counts), 1)
        report["splits"][split] = {
            "examples": len(stats),
            "height": [min(s.height for s in stats), max(s.height for s in stats)] if stats else None,
            "width": [min(s.width for s in stats), max(s.width for s in stats)] if stats else None,
            "pixel_share": {name: c / total for name, c in zip(CLASS_NAMES, counts)},
        }
    report["ok"] = not report["bad"]
    return report


def format_description(report: dict[str, Any]) -> str:
    """`describe_source`'s findings as text for the terminal."""
    lines = [f"source: {report['source']}"]
    for split, info in report["splits"].items():
        share = ", ".join(f"{k} {100 * v:.1f}%" for k, v in info["pixel_share"].items())
        size = (
            f"heights {info['height'][0]}..{info['height'][1]}, widths {info['width'][0]}..{info['width'][1]}"
            if info["height"]
            else "no usable image"
        )
        lines.append(f"{split}: {info['examples']} usable examples; {size}; pixels: {share}")
    if report["bad"]:
        lines.append(f"{len(report['bad'])} bad example(s):")
        lines += [f"  {b['split']}/{b['name']}: {b['reason']}" for b in report["bad"]]
    else:
        lines.append("no bad examples")
    return "\n".join(lines)
