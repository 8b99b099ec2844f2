"""The public API: the names `unetcheck` exports, held here so a change is deliberate."""

import unetcheck

PUBLIC = [
    "Augment", "CLASS_NAMES", "ENCODER_TAPS", "NUM_CLASSES", "Pipelines", "Source",
    "TUTORIAL_CLASS_WEIGHTS", "add_sample_weights", "build_encoder", "calibrate_encoder",
    "compile_model", "confusion_matrix", "create_mask", "iou_per_class", "load_image",
    "majority_confusion", "make_pipelines", "mean_iou", "normalize", "pixel_accuracy",
    "predict_confusion", "probe_class_weight", "set_seed", "synthetic_example",
    "synthetic_pets", "train", "unet_model", "upsample",
]


def test_all_is_the_public_api():
    assert sorted(unetcheck.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(unetcheck, name) is not None, name


def test_tutorial_names_are_public():
    for name in ("normalize", "load_image", "Augment", "unet_model", "add_sample_weights", "create_mask"):
        assert name in unetcheck.__all__
