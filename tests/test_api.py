"""The public API: the names `unetcheck` exports, held here so a change is deliberate."""

import unetcheck

PUBLIC = [
    "Augment", "CLASS_NAMES", "ENCODER_TAPS", "FusedBatchNormalization", "NUM_CLASSES", "Pipelines",
    "SkipConv2DTranspose", "Source",
    "TUTORIAL_CLASS_WEIGHTS", "add_sample_weights", "build_encoder", "calibrate_encoder",
    "compile_model", "confusion_matrix", "create_mask", "iou_per_class", "load_arrays", "load_image",
    "majority_confusion", "make_pipelines", "mean_iou", "normalize", "pixel_accuracy",
    "predict_confusion", "probe_class_weight", "set_seed", "synthetic_arrays", "synthetic_example",
    "synthetic_pets", "train", "unet_model", "upsample", "without_autotune",
]


def test_all_is_the_public_api():
    assert sorted(unetcheck.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(unetcheck, name) is not None, name


def test_tutorial_names_are_public():
    for name in ("normalize", "load_image", "Augment", "unet_model", "add_sample_weights", "create_mask"):
        assert name in unetcheck.__all__


def test_checks_api_is_flat_and_complete():
    from unetcheck import checks

    expected = {
        "assert_all_trainable_change", "assert_batch_independent", "assert_deterministic", "assert_finite",
        "assert_flip_equivariant", "assert_frozen", "assert_labels_in_range", "assert_loss_decreased",
        "assert_loss_decreases", "assert_overfits_batch", "assert_paired_flip", "assert_probabilities_valid",
        "assert_same_predictions", "assert_same_preprocessing", "assert_weights_all_changed",
        "assert_weights_unchanged", "snapshot_weights",
    }
    assert set(checks.__all__) == expected
    for name in expected - {"snapshot_weights"}:
        doc = getattr(checks, name).__doc__
        assert doc.startswith("Checks that") or doc.startswith("Checks every"), name
        assert "Raises:" in doc, name
