"""The main job: train the reference on a source, verify it, and write the report.

`run_verify` is what `unetcheck verify` runs: `train_reference` trains (resumable),
`unetcheck.job.verification` checks, `unetcheck.job.report` writes the files. The model it
writes is the tutorial's stock-layer graph whatever it trained with, so it loads in any
Keras installation.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import os
import shutil
import time
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from unetcheck import checks
from unetcheck.checks.data_profile import DataProfile, data_profile
from unetcheck.checks.leakage import MAX_DISTANCE, find_leaks
from unetcheck.job import report
from unetcheck.job.config import VerifyConfig
from unetcheck.job.verification import Trained, verify_trained
from unetcheck.metrics import PerImageMetrics, majority_confusion, mean_iou, registry
from unetcheck.pets import trimaps
from unetcheck.pets.trimaps import CLASS_NAMES, NUM_CLASSES, SPLITS
from unetcheck.reference.augment import Augment
from unetcheck.reference.data import load_source
from unetcheck.reference.masks import create_mask
from unetcheck.reference.model import calibrate_encoder, to_stock, unet_model
from unetcheck.reference.pipeline import make_pipelines
from unetcheck.reference.precision import precision
from unetcheck.reference.train import compile_model, deterministic_ops, predict_per_image, set_seed, train


class EpochSamples(keras.callbacks.Callback):
    """The tutorial's DisplayCallback, saved instead of shown: one test example per epoch."""

    def __init__(self, image: np.ndarray, mask: np.ndarray, out_dir: str) -> None:
        super().__init__()
        self.image, self.mask, self.out_dir = image, mask, out_dir

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        os.makedirs(self.out_dir, exist_ok=True)
        pred = create_mask(self.model(self.image[None], training=False))
        path = os.path.join(self.out_dir, f"epoch_{epoch + 1:03d}.png")
        report.plot_predictions(
            self.image[None],
            self.mask[None],
            np.asarray(pred),
            path,
            title=f"Sample prediction after epoch {epoch + 1}",
        )


def _remove(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def _read_history(path: str) -> dict[str, list[float]]:
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else {}) if key != "epoch"}


def _resumable(out_dir: str, test_image: np.ndarray, test_mask: np.ndarray) -> tuple[list, str]:
    """Callbacks that make a run in `out_dir` resumable and log it; and the history CSV's path."""
    os.makedirs(out_dir, exist_ok=True)
    backup = os.path.join(out_dir, "backup")
    history_csv = os.path.join(out_dir, "history.csv")
    if not os.path.isdir(backup):  # a fresh run, not a resumed one: forget old epochs
        _remove(history_csv)
        _remove(os.path.join(out_dir, "epochs"))
    return [
        keras.callbacks.BackupAndRestore(backup),
        keras.callbacks.CSVLogger(history_csv, append=True),
        EpochSamples(test_image, test_mask, os.path.join(out_dir, "epochs")),
    ], history_csv


def _names(source: Any, split_name: str) -> list[str]:
    """A split's example names in its order (their index where a source has none)."""
    split = source.split(split_name)
    if "file_name" not in split.element_spec:
        return [str(i) for i in range(source.num_examples[split_name])]
    return [name.decode() for name in split.map(lambda example: example["file_name"]).as_numpy_iterator()]


def _test_names(source: Any) -> list[str]:
    """The test examples' names in the test pipeline's order."""
    return _names(source, "test")


def leakage_report(source: Any, max_distance: int = MAX_DISTANCE, shown: int = 20) -> dict[str, Any]:
    """Which test photos of `source` are exact or near copies of training photos
    (`unetcheck.checks.leakage`): counts and the first `shown` pairs, by name."""
    images = {
        split: source.split(split).map(lambda example: example["image"]).as_numpy_iterator()
        for split in ("train", "test")
    }
    leaks = find_leaks(images["train"], images["test"], max_distance)
    names = {split: _names(source, split) for split in ("train", "test")}
    return {
        "max_distance": max_distance,
        "leaked_test_images": len({leak.test_index for leak in leaks}),
        "exact_pairs": sum(leak.exact for leak in leaks),
        "near_pairs": sum(not leak.exact for leak in leaks),
        "pairs": [
            {
                "train": names["train"][leak.train_index],
                "test": names["test"][leak.test_index],
                "distance": leak.distance,
                "exact": leak.exact,
                "mirrored": leak.mirrored,
            }
            for leak in leaks[:shown]
        ],
    }


def data_profiles(source: Any) -> dict[str, DataProfile]:
    """Each split's data profile (`unetcheck.checks.data_profile`) of the examples as loaded:
    what `unetcheck compare` sets beside the baseline's to name a change in the data."""
    return {
        split: data_profile(
            source.split(split).as_numpy_iterator(), NUM_CLASSES, CLASS_NAMES, classes=trimaps.to_classes
        )
        for split in SPLITS
    }


def _prepare(config: VerifyConfig, strategy: Any) -> tuple[Any, Any, keras.Model]:
    """The run's source, pipelines and compiled model (under `strategy`'s scope where one is given)."""
    set_seed(config.seed)
    synthetic = {"num_train": config.num_train, "num_test": config.num_test, "seed": config.synthetic_seed}
    source = load_source(
        config.data,
        data_dir=config.data_dir,
        skip_bad=config.skip_bad,
        **(synthetic if config.data == "synthetic" else {}),
    )
    pipes = make_pipelines(
        source, size=config.size, batch_size=config.batch_size, seed=config.seed, class_weights=config.class_weights
    )
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope, precision(config.precision):
        model = unet_model(
            NUM_CLASSES,
            input_size=config.size,
            weights=config.weights,
            sync_batchnorm=config.sync_batchnorm,
            fast=config.fast_layers,
        )
        if config.weights is None:
            calibrate_encoder(model, next(iter(pipes.train))[0])
        compile_model(model, config.learning_rate, run_eagerly=config.run_eagerly)
    return source, pipes, model


def _fit(
    model: keras.Model, strategy: Any, pipes: Any, config: VerifyConfig, callbacks: list, verbose: int | str
) -> Any:
    """Trains `model`: `Model.fit`, or its own loop under multi-worker (keras-team/keras#20585)."""
    if config.strategy == "multiworker":
        from unetcheck.reference.loop import fit_with_loop

        return fit_with_loop(
            model,
            strategy,
            pipes.train,
            config.epochs,
            config.steps_per_epoch or pipes.steps_per_epoch,
            pipes.test,
            pipes.validation_steps,
            callbacks,
            verbose=verbose,
        )
    return train(
        model, pipes, epochs=config.epochs, steps_per_epoch=config.steps_per_epoch, callbacks=callbacks, verbose=verbose
    )


def _record(
    config: VerifyConfig,
    per_image: PerImageMetrics,
    summary: dict[str, Any],
    baseline: float,
    source: Any,
    logs: dict,
    history: Any,
    results: list,
    strategy: Any,
    started: float,
) -> dict[str, Any]:
    """Every figure of a run, as `metrics.json` holds them."""
    return {
        "config": dataclasses.asdict(config),
        **registry.flat_figures(summary, per_image.statistics),  # miou first: the one list's order
        "majority_baseline_miou": baseline,
        "boundary_ratio": per_image.boundary_ratio,
        "nsd_tolerance": per_image.nsd_tolerance,
        "confusion": summary["confusion"],
        "test_fingerprint": per_image.fingerprint,
        "leakage": leakage_report(source),
        "examples": dict(source.num_examples),
        "skipped": source.skipped,
        "loss": logs["loss"],
        "val_loss": logs.get("val_loss", []),
        "accuracy": logs.get("accuracy", []),
        "val_accuracy": logs.get("val_accuracy", []),
        "epochs_run_now": len(history.history.get("loss", [])),
        "checks": [r.as_dict() for r in results],
        "passed": all(r.passed for r in results),
        "precision": config.precision,
        "strategy": config.strategy,
        "replicas": strategy.num_replicas_in_sync if strategy is not None else 1,
        "versions": {"keras": keras.__version__, "backend": keras.backend.backend()},
        "wall_s": time.perf_counter() - started,
    }


def _save_model(stock: keras.Model, out_dir: str | None) -> str | None:
    """The model the job delivers, `model.keras`, saved in `out_dir` (the save_reload check reads it)."""
    if out_dir is None:
        return None
    path = os.path.join(out_dir, "model.keras")
    stock.save(path)
    return path


def _measure_test_set(
    stock: keras.Model, pipes: Any, source: Any, config: VerifyConfig, out_dir: str | None
) -> PerImageMetrics:
    """The trained model's per-image figures on the test split, with the seeds that trained it;
    with `out_dir`, its masks and photos written there as PNGs and recorded as its sources."""
    writer = None if out_dir is None else report.mask_writer(out_dir)
    per_image = predict_per_image(stock, pipes.test, _test_names(source), each_batch=writer)
    per_image.seeds = {"training": config.seed, "data": config.synthetic_seed}
    if out_dir is not None:
        per_image.sources = dict(report.MASK_FOLDERS)
    return per_image


def _strategy(config: VerifyConfig) -> Any:
    """The config's tf.distribute strategy, or None for one device."""
    if config.strategy == "default" and not config.cpu_replicas:
        return None
    from unetcheck.reference.distribute import make_strategy

    return make_strategy(config.strategy, config.cpu_replicas)


def _train(
    model: keras.Model,
    strategy: Any,
    pipes: Any,
    config: VerifyConfig,
    callbacks: list[keras.callbacks.Callback],
    out_dir: str | None,
    verbose: int | str,
    sample: tuple[np.ndarray, np.ndarray],
) -> tuple[keras.callbacks.History, dict[str, list[float]]]:
    """`_fit`, resumable where the run has a folder (drawing the test `sample`, an image and
    its mask, each epoch): the history, and every epoch's logs (of the earlier attempts too,
    read back from the folder's `history.csv`)."""
    history_csv = None
    if out_dir is not None:
        resumable, history_csv = _resumable(out_dir, *sample)
        callbacks = resumable + callbacks
    history = _fit(model, strategy, pipes, config, callbacks, verbose)
    if history_csv:
        return history, _read_history(history_csv)
    return history, {k: list(map(float, v)) for k, v in history.history.items()}


def run_verify(
    config: VerifyConfig,
    out_dir: str | None = None,
    verbose: int | str = "auto",
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> dict[str, Any]:
    """Trains the reference on `config.data`, verifies it, and returns every figure.

    With `out_dir`, also writes the report there (`unetcheck.job.report`), and a run
    interrupted after some epochs resumes from the last finished epoch when started again
    with the same folder (`keras.callbacks.BackupAndRestore`; the optimizer's moments
    restart). TensorFlow's ops run deterministically for the whole run.
    """
    started = time.perf_counter()
    strategy = _strategy(config)  # first: logical CPU devices are made before TensorFlow's runtime starts
    with deterministic_ops():
        source, pipes, model = _prepare(config, strategy)
        encoder_before = checks.snapshot(model.get_layer("encoder"))
        trainable_before = checks.snapshot(model.trainable_weights)
        test_images, test_masks = (np.asarray(t) for t in next(iter(pipes.test))[:2])
        history, logs = _train(
            model, strategy, pipes, config, list(callbacks), out_dir, verbose, (test_images[0], test_masks[0])
        )
        stock = to_stock(model) if config.fast_layers else model
        per_image = _measure_test_set(stock, pipes, source, config, out_dir)
        profiles = data_profiles(source)
        summary = per_image.summary()
        miou, baseline = summary["miou"], mean_iou(majority_confusion(np.asarray(summary["confusion"])))
        saved_model = _save_model(stock, out_dir)
        trained = Trained(
            model=model,
            stock=stock,
            pipelines=pipes,
            encoder_before=encoder_before,
            trainable_before=trainable_before,
            losses=logs["loss"],
            test_images=test_images,
            augment=Augment(seed=config.seed),
            miou=miou,
            baseline_miou=baseline,
            saved_model=saved_model,
        )
        results = verify_trained(trained, NUM_CLASSES, config.min_loss_drop, config.min_miou_margin)
    metrics = _record(config, per_image, summary, baseline, source, logs, history, results, strategy, started)
    metrics["data"] = {split: profile.summary() for split, profile in profiles.items()}
    if out_dir is not None:
        report.write_report(metrics, per_image, stock, test_images, test_masks, out_dir, profiles)
    return metrics
