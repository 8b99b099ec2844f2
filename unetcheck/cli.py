"""Command line: `unetcheck verify` (the main job)."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence


def _class_weights(text: str) -> tuple[float, ...] | None:
    if text.lower() == "none":
        return None
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"class weights must be 'none' or numbers like 2,2,1; got {text!r}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="unetcheck", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="train the reference on synthetic pets and verify it")
    verify.add_argument("--quick", action="store_true", help="small preset: 64x64, 6 short epochs")
    verify.add_argument("--epochs", type=int)
    verify.add_argument("--batch-size", type=int)
    verify.add_argument("--size", type=int, help="image side in pixels, a multiple of 32")
    verify.add_argument("--num-train", type=int)
    verify.add_argument("--num-test", type=int)
    verify.add_argument("--seed", type=int)
    verify.add_argument("--weights", help="encoder weights: none, imagenet or a file path")
    verify.add_argument("--class-weights", type=_class_weights, help="e.g. 2,2,1, or none")
    verify.add_argument("--out", help="folder for metrics.json")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from unetcheck.verify import VerifyConfig, format_table, run_verify, write_metrics

    overrides = {
        key: value
        for key, value in {
            "epochs": args.epochs, "batch_size": args.batch_size, "size": args.size,
            "num_train": args.num_train, "num_test": args.num_test, "seed": args.seed,
        }.items()
        if value is not None
    }
    if args.weights is not None:
        overrides["weights"] = None if args.weights.lower() == "none" else args.weights
    if args.class_weights is not None:
        overrides["class_weights"] = args.class_weights
    config = VerifyConfig.quick(**overrides) if args.quick else VerifyConfig(**overrides)
    try:
        metrics = run_verify(config, verbose=2)
    except ValueError as err:
        print(f"unetcheck verify: error: {err}", file=sys.stderr)
        return 2
    print(format_table(metrics))
    if args.out:
        print(f"wrote {write_metrics(metrics, args.out)}")
    return 0 if metrics["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
