"""Test harness: load a `.keras` model and predict where unetcheck cannot be imported.

    python tests/harness/load_without_unetcheck.py MODEL.keras IMAGES.npy OUT.npy

Run as a script (not `-m`), so nothing of this project is imported; any import of
unetcheck, even one the saved model asked for, fails.
"""

import sys

sys.modules["unetcheck"] = None  # noqa: E402 - before anything could import it

import keras  # noqa: E402
import numpy as np  # noqa: E402

model = keras.models.load_model(sys.argv[1])
np.save(sys.argv[3], np.asarray(model(np.load(sys.argv[2]), training=False)))  # eager: no graph to trace
