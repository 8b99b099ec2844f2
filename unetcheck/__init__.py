"""unetcheck: the TensorFlow segmentation tutorial's U-Net, done right, and its checks."""

from unetcheck.arrays import load_arrays
from unetcheck.arrays import synthetic_arrays
from unetcheck.augment import Augment
from unetcheck.class_weight import probe_class_weight
from unetcheck.layers import FusedBatchNormalization
from unetcheck.layers import SkipConv2DTranspose
from unetcheck.masks import create_mask
from unetcheck.metrics import confusion_matrix
from unetcheck.metrics import iou_per_class
from unetcheck.metrics import majority_confusion
from unetcheck.metrics import mean_iou
from unetcheck.metrics import pixel_accuracy
from unetcheck.model import ENCODER_TAPS
from unetcheck.model import build_encoder
from unetcheck.model import calibrate_encoder
from unetcheck.model import unet_model
from unetcheck.model import upsample
from unetcheck.pipeline import Pipelines
from unetcheck.pipeline import make_pipelines
from unetcheck.pipeline import without_autotune
from unetcheck.preprocess import CLASS_NAMES
from unetcheck.preprocess import NUM_CLASSES
from unetcheck.preprocess import load_image
from unetcheck.preprocess import normalize
from unetcheck.sources import Source
from unetcheck.sources import synthetic_example
from unetcheck.sources import synthetic_pets
from unetcheck.train import compile_model
from unetcheck.train import predict_confusion
from unetcheck.train import set_seed
from unetcheck.train import train
from unetcheck.weights import TUTORIAL_CLASS_WEIGHTS
from unetcheck.weights import add_sample_weights

__version__ = "0.1.0"

__all__ = [
    "Augment",
    "CLASS_NAMES",
    "ENCODER_TAPS",
    "FusedBatchNormalization",
    "NUM_CLASSES",
    "Pipelines",
    "SkipConv2DTranspose",
    "Source",
    "TUTORIAL_CLASS_WEIGHTS",
    "add_sample_weights",
    "build_encoder",
    "calibrate_encoder",
    "compile_model",
    "confusion_matrix",
    "create_mask",
    "iou_per_class",
    "load_arrays",
    "load_image",
    "majority_confusion",
    "make_pipelines",
    "mean_iou",
    "normalize",
    "pixel_accuracy",
    "predict_confusion",
    "probe_class_weight",
    "set_seed",
    "synthetic_arrays",
    "synthetic_example",
    "synthetic_pets",
    "train",
    "unet_model",
    "upsample",
    "without_autotune",
]
