"""Code the tests run in processes of their own (engine parity, tf.distribute steps, the
class_weight probe), and helpers they share."""

import sys

import pytest


def unetcheck_out_of_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    """Until `monkeypatch` undoes it, unetcheck is as absent as from a Keras installation
    that never had it: its modules cannot be imported, and the Keras classes it registered
    (`register_keras_serializable`) are unknown to deserialization. unetcheck patches
    nothing else in Keras, so what loads now loads in a process without unetcheck."""
    import keras

    for name in [name for name in sys.modules if name.split(".")[0] == "unetcheck"]:
        monkeypatch.setitem(sys.modules, name, None)
    registry = keras.saving.get_custom_objects()
    for key in [key for key in registry if key.split(">")[0] == "unetcheck"]:
        monkeypatch.delitem(registry, key)


def count_traces(model) -> list:
    """A list that grows by one each time TensorFlow traces `model`'s training step (call
    before the model's first `fit`: Keras reads `train_step` when it makes its function)."""
    traces, step = [], model.train_step
    model.train_step = lambda data: traces.append(1) or step(data)
    return traces


def import_before_pytester() -> None:
    """Imports, once and before any pytester run, what the in-process runs of example projects
    import: pytester forgets the modules a run imported, and a C extension (NumPy's,
    TensorFlow's, PyTorch's) cannot be loaded twice in one process. PyTorch's first optimizer
    step imports several hundred more (torch._dynamo, sympy), some registering native
    operators: one step is taken here too."""
    import albumentations  # noqa: F401
    import hypothesis.extra.numpy  # noqa: F401
    import tensorflow  # noqa: F401
    import torch
    import yaml  # noqa: F401

    parameter = torch.nn.Parameter(torch.ones(1))
    parameter.grad = torch.ones(1)
    torch.optim.Adam([parameter]).step()


def strict_loads(text: str):
    """JSON as RFC 8259 has it: Python's parser refusing the NaN, Infinity and -Infinity it
    accepts by default."""
    import json

    def refuse(token):
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)
