"""Command line: `unetcheck verify` (the main job), `validate-data`, `predict`, `evaluate`, `compare`
and `bench`.

Imports only the light configuration at start; TensorFlow loads when a command runs, so
`unetcheck --help` answers at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from unetcheck.errors import InputError
from unetcheck.job.config import QUICK, VERIFY_OPTIONS, VerifyConfig, add_arguments, describe, overrides
from unetcheck.metrics._statistics import LEVEL, RESAMPLES
from unetcheck.metrics.registry import GROUPS
from unetcheck.metrics.regression import DISTANCE_TOLERANCE, TOLERANCE
from unetcheck.metrics.surface import MISSING_DISTANCES, NSD_TOLERANCE
from unetcheck.reference.onednn import prefer_onednn

DEFAULT_OUT = os.path.join("out", "verify")
#: The extra that installs each module a command may need, and what it is for: a command that
#: lacks one says which to install.
EXTRAS = {
    "tensorflow": ("reference", "the reference pipeline's libraries"),
    "keras": ("reference", "the reference pipeline's libraries"),
    "tensorflow_datasets": ("reference", "the reference pipeline's libraries"),
    "PIL": ("evaluate", "the mask readers"),
    "nibabel": ("evaluate", "the mask readers"),
    "tqdm": ("evaluate", "the mask readers"),
    "jinja2": ("report", "the report page's libraries"),
    "matplotlib": ("report", "the report page's libraries"),
}
DEFAULT_EVALUATE_OUT = os.path.join("out", "evaluate")
#: How many of the worst images a report shows.
WORST = 12


def _numbers(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected numbers separated by commas, like 0.8,0.8,2.5; got {text!r}"
        ) from None


def _evaluate_parser(commands: Any) -> None:
    evaluate = commands.add_parser(
        "evaluate",
        help="per-image metrics of predicted masks on disk against the true ones",
        description="unetcheck evaluate TRUTH PRED: masks (PNG, .npy, NIfTI .nii/.nii.gz) matched by their path "
        "inside each folder less the suffix. Writes per_image.json (for unetcheck compare) and summary.json. "
        "Exits 2 naming every unmatched, unreadable or mis-sized file.",
    )
    evaluate.add_argument("truth", help="folder of true masks")
    evaluate.add_argument("pred", help="folder of predicted masks")
    evaluate.add_argument("--num-classes", type=int, required=True)
    evaluate.add_argument("--class-names", type=lambda text: tuple(text.split(",")), help="comma-separated")
    evaluate.add_argument("--ignore-index", type=int, help="a true label whose pixels count for no metric (e.g. 255)")
    evaluate.add_argument(
        "--spacing",
        type=_numbers,
        help="pixel or voxel size per axis, in the arrays' axis order "
        "(default: a NIfTI header's, else 1): surface distances and the NSD tolerance in its units",
    )
    _measurement_options(evaluate)
    evaluate.add_argument(
        "--images", help="folder of the photos, named as the masks: the report draws its overlays on them"
    )
    _page_options(evaluate)
    evaluate.add_argument("--workers", type=int, default=1, help="processes measuring images (default 1)")
    evaluate.add_argument("--out", default=DEFAULT_EVALUATE_OUT, help=f"folder (default: {DEFAULT_EVALUATE_OUT})")


def _measurement_options(evaluate: argparse.ArgumentParser) -> None:
    """What `evaluate` measures, and how."""
    evaluate.add_argument("--nsd-tolerance", type=float, help=f"NSD's tolerance (default {NSD_TOLERANCE:g})")
    evaluate.add_argument(
        "--metrics",
        help="what to measure: metric or group names, comma-separated (iou,dice; "
        f"the groups {','.join(GROUPS)}); default: all. The region group's figures are the "
        "fastest; the surface distances cost the most",
    )
    evaluate.add_argument(
        "--missing-distance",
        choices=MISSING_DISTANCES,
        default=MISSING_DISTANCES[0],
        help="HD95 and ASSD where a class is in one mask only: skip (the image leaves the class's "
        "mean and is counted as missed or invented) or diagonal (the image's diagonal, the worst "
        f"case); default {MISSING_DISTANCES[0]}",
    )
    evaluate.add_argument(
        "--no-intervals",
        dest="intervals",
        action="store_false",
        help=f"skip the {LEVEL * 100:.0f}%% bootstrap intervals over the images ({RESAMPLES} resamples)",
    )


def _page_options(parser: argparse.ArgumentParser) -> None:
    """Which images a report page shows."""
    parser.add_argument("--worst", type=int, default=WORST, help=f"the page shows N images (default {WORST})")
    parser.add_argument(
        "--worst-by", default=None, help="the per-image figure that ranks them, a key of summary.json (default: miou)"
    )


def _data_options(parser: argparse.ArgumentParser) -> None:
    add_arguments(parser, ("data", "data_dir", "skip_bad"))


def _verify_parser(commands: Any) -> None:
    verify = commands.add_parser("verify", help="train the reference, verify it, write a report")
    verify.add_argument("--quick", action="store_true", help=f"small preset: {describe(QUICK)}")
    add_arguments(verify, VERIFY_OPTIONS)
    verify.add_argument(
        "--out",
        default=DEFAULT_OUT,
        help=f"report folder (default: {DEFAULT_OUT}); "
        "an interrupted run resumes when started again with the same folder",
    )


def _compare_parser(commands: Any) -> None:
    compare = commands.add_parser(
        "compare",
        help="compare a candidate run with a baseline: paired bootstrap over the same test images",
        description="unetcheck compare BASELINE [BASELINE ...] CANDIDATE. Several baseline runs (other seeds, "
        "same data) add training noise to the verdict; several candidate runs (--candidates) are compared by "
        "their mean. Exits 1 where a figure dropped significantly and by more "
        "than --tolerance (a surface distance rose by more than --distance-tolerance pixels), or where the "
        "candidate's data differs from the first baseline's (the data_SPLIT.json profiles verify writes); "
        "2 when the runs were measured on different test sets.",
    )
    compare.add_argument(
        "runs",
        nargs="+",
        metavar="RUN",
        help="the baseline run(s), then the candidate(s): verify --out folders or per_image.json files",
    )
    compare.add_argument(
        "--candidates",
        type=int,
        default=1,
        metavar="M",
        help="how many of the last runs are candidates (the change trained with M seeds; default 1)",
    )
    _gate_options(compare)
    compare.add_argument("--markdown", help="also write the comparison as markdown to this file")
    compare.add_argument(
        "--html",
        help="also write the comparison as a page to this file: what regressed, the data "
        "changes, and the images that fell most, drawn where the runs' masks are on disk",
    )
    _page_options(compare)
    compare.add_argument("--json", help="also write every figure to this JSON file")


def _gate_options(compare: argparse.ArgumentParser) -> None:
    """How `compare` judges."""
    compare.add_argument(
        "--tolerance",
        type=float,
        default=None,
        help=f"the smallest drop that counts, in the metric's units (default {TOLERANCE:g})",
    )
    compare.add_argument(
        "--distance-tolerance",
        type=float,
        default=None,
        help=f"the smallest rise of HD95 or ASSD that counts, in pixels (default {DISTANCE_TOLERANCE:g})",
    )
    compare.add_argument("--resamples", type=int, default=None, help=f"bootstrap resamples (default {RESAMPLES})")
    compare.add_argument("--level", type=float, default=None, help=f"confidence level (default {LEVEL:g})")
    compare.add_argument("--seed", type=int, default=0, help="seed of the resampling (default 0)")
    compare.add_argument(
        "--paired",
        action="store_true",
        help="judge each candidate against the baseline trained with its seeds (runs record them): "
        "far more sensitive for a change that leaves the random stream alone (docs/baseline.md)",
    )
    compare.add_argument(
        "--per-figure",
        action="store_true",
        help="each interval at --level on its own, for one figure chosen beforehand (default: "
        "the intervals hold for all figures at once)",
    )


def _bench_parser(commands: Any) -> None:
    bench = commands.add_parser(
        "bench", help="training speed: the tutorial's literal steps, the stock reference, the fast layers, the roofline"
    )
    bench.add_argument(
        "--quick",
        action="store_true",
        help="the tutorial's code against the fast layers only, batch sizes 8 and 64, short windows",
    )
    bench.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also time mixed_bfloat16 (default: only where the CPU has native bfloat16)",
    )
    bench.add_argument("--size", type=int, default=128)
    bench.add_argument("--json", help="write every figure to this JSON file")
    bench.add_argument("--plot", help="write img/s against batch size to this PNG")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="unetcheck", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    _verify_parser(commands)
    validate = commands.add_parser("validate-data", help="check a data source and say what it holds")
    _data_options(validate)
    validate.add_argument("--json", help="also write the findings to this JSON file")

    predict = commands.add_parser("predict", help="write predicted masks for image files")
    predict.add_argument("images", nargs="+", help="image files (JPEG, PNG, BMP, GIF)")
    predict.add_argument("--model", required=True, help="a trained model.keras")
    predict.add_argument("--out", required=True, help="folder for NAME_mask.png and NAME_overlay.png")
    _evaluate_parser(commands)
    _compare_parser(commands)
    _bench_parser(commands)
    return parser


def _bench(args: argparse.Namespace) -> int:
    from unetcheck.bench.speed import format_bench, plot_bench, run_bench, write_json

    report = run_bench(quick=args.quick, size=args.size, bf16=args.bf16)
    print(format_bench(report))
    if args.json:
        print(f"wrote {write_json(report, args.json)}")
    if args.plot:
        print(f"wrote {plot_bench(report, args.plot)}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from unetcheck.job.report import format_table
    from unetcheck.job.run import run_verify

    given = overrides(args)
    config = VerifyConfig.quick(**given) if args.quick else VerifyConfig(**given)
    metrics = run_verify(config, out_dir=args.out, verbose=2)
    print(format_table(metrics))
    print(f"report: {os.path.join(args.out, 'report.md')}")
    return 0 if metrics["passed"] else 1


def _validate(args: argparse.Namespace) -> int:
    from unetcheck.metrics import strict_json
    from unetcheck.reference.data import describe_source, format_description, load_source

    # Load with skip_bad so every bad example is found and listed, not only the first.
    data = args.data if args.data is not None else VerifyConfig.data
    report = describe_source(load_source(data, data_dir=args.data_dir, skip_bad=True))
    print(format_description(report))
    if args.json:
        strict_json.dump(report, args.json)
    return 0 if report["ok"] else 1


def _predict(args: argparse.Namespace) -> int:
    from unetcheck.job.predict import predict_files

    for path in predict_files(args.model, args.images, args.out):
        print(path)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from unetcheck.job.evaluate import evaluate_folders, format_summary, write_evaluation

    if args.workers < 1:
        raise InputError(f"--workers must be at least 1; got {args.workers}")
    per_image = evaluate_folders(
        args.truth,
        args.pred,
        args.num_classes,
        args.class_names,
        args.ignore_index,
        args.spacing,
        args.nsd_tolerance,
        args.workers,
        metrics=args.metrics,
        missing_distance=args.missing_distance,
        images_dir=args.images,
    )
    settings = {"level": LEVEL, "resamples": RESAMPLES, "seed": 0}
    intervals = per_image.intervals(**settings) if args.intervals else None
    print(format_summary(per_image, intervals))
    for path in write_evaluation(per_image, args.out, intervals, settings):
        print(f"wrote {path}")
    from unetcheck.job.page import write_evaluation_page

    page = write_evaluation_page(per_image, os.path.join(args.out, "report.html"), intervals, args.worst, args.worst_by)
    print(f"wrote {page}")
    return 0


def _data_changes(baseline: str, candidate: str) -> tuple[dict[str, list[str]], bool]:
    """What differs in each split's data between two runs, by the profiles beside their
    per_image.json (a split without both profiles is not compared), and whether any split was."""
    from unetcheck.checks.data_profile import DataProfile, profile_differences
    from unetcheck.job.report import profile_file
    from unetcheck.pets.trimaps import SPLITS

    folders = [run if os.path.isdir(run) else os.path.dirname(run) for run in (baseline, candidate)]
    changes, compared = {}, False
    for split in SPLITS:
        paths = [os.path.join(folder, profile_file(split)) for folder in folders]
        if all(os.path.isfile(path) for path in paths):
            compared = True
            found = profile_differences(*(DataProfile.load(path) for path in paths))
            if found:
                changes[split] = found
    return changes, compared


def _compare(args: argparse.Namespace) -> int:
    from unetcheck.metrics import PerImageMetrics, regression, regression_report

    options = {"tolerance": args.tolerance, "resamples": args.resamples, "level": args.level}
    options["distance_tolerance"] = args.distance_tolerance
    if args.candidates < 1 or len(args.runs) < args.candidates + 1:
        raise InputError(
            f"give at least one baseline run and the {args.candidates} candidate run(s) "
            f"(--candidates {args.candidates}); got {len(args.runs)} run(s)"
        )
    runs = [PerImageMetrics.load(path) for path in args.runs]  # bad files and options raise InputError
    split = len(runs) - args.candidates
    comparison = regression.compare(
        runs[:split],
        runs[split:],
        seed=args.seed,
        simultaneous=not args.per_figure,
        paired=args.paired,
        **{k: v for k, v in options.items() if v is not None},
    )
    changes, profiled = _data_changes(args.runs[0], args.runs[split])
    data_lines = [f"DATA CHANGED in {name}: " + "; ".join(found) for name, found in changes.items()]
    print("\n".join([regression_report.format_comparison(comparison), *data_lines]))
    _write_comparison(args, comparison, runs, split, changes, profiled, data_lines)
    return 1 if comparison.regressions or changes else 0


def _write_comparison(
    args: argparse.Namespace,
    comparison: Any,
    runs: list,
    split: int,
    changes: dict,
    profiled: bool,
    data_lines: list[str],
) -> None:
    """The files `compare` was asked for: --markdown, --json, --html."""
    from unetcheck.metrics import regression_report, strict_json

    baselines, candidates = args.runs[:split], args.runs[split:]
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(regression_report.comparison_markdown(comparison, ", ".join(baselines), ", ".join(candidates)))
            f.write("".join(f"\n**{line}**\n" for line in data_lines))
    if args.json:
        strict_json.dump({**comparison.as_dict(), "data_changes": changes}, args.json)
    if args.html:
        from unetcheck.job.compare_page import write_comparison_page

        write_comparison_page(
            comparison,
            runs[:split],
            runs[split:],
            (baselines, candidates),
            changes,
            args.html,
            profiled,
            args.worst,
            args.worst_by,
        )


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's start-up notes out of the report
    prefer_onednn()  # before TensorFlow loads: its oneDNN kernels on AVX2 CPUs too
    args = build_parser().parse_args(argv)
    commands = {
        "verify": _verify,
        "validate-data": _validate,
        "predict": _predict,
        "evaluate": _evaluate,
        "compare": _compare,
        "bench": _bench,
    }
    try:
        return commands[args.command](args)
    except InputError as err:  # the user's input; anything else shows its traceback
        print(f"unetcheck {args.command}: error: {err}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as err:
        root = (err.name or "").split(".")[0]
        if root not in EXTRAS:
            raise
        extra, what = EXTRAS[root]
        print(
            f"unetcheck {args.command}: error: it needs {what} (no module {err.name!r}): "
            f"pip install 'unetcheck[{extra}]'",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
