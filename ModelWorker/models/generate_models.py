#!/usr/bin/python3
"""Writes the bundled ONNX models deterministically (fixed seed), so nothing is downloaded.

Run with Debian's python3-onnx (it installs for /usr/bin/python3, not a pyenv python):
    apt-get install -y python3-onnx && /usr/bin/python3 ModelWorker/models/generate_models.py

classifier-small.onnx  4 -> 64 -> 3, outputs logits (like the seeds' SimpleModel; the worker applies softmax)
classifier-heavy.onnx  256 -> 1024 -> 1024 -> 3, outputs probabilities (Softmax in the graph); heavy
                       enough per row that batching pays, for the batching benchmark.
scorer-tiny.onnx       8 -> 16 -> 5, outputs probabilities (Softmax in the graph): a second, differently shaped
                       small model for the several-models tests (its own name, feature and class counts).
Both take one float input "features" [batch, n] with a dynamic batch axis.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper

SEED = 20261123
OPSET = 13  # python3-onnx 1.12 writes opset <= 17; 13 is enough for Gemm/Relu/Softmax(axis=-1)
HERE = os.path.dirname(os.path.abspath(__file__))


def dense(rng, name, n_in, n_out):
    # He initialisation keeps activations in a sane range through the ReLU layers.
    w = (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(np.float32)
    b = (rng.standard_normal(n_out) * 0.1).astype(np.float32)
    return [helper.make_tensor(f"{name}.weight", TensorProto.FLOAT, w.shape, w.tobytes(), raw=True),
            helper.make_tensor(f"{name}.bias", TensorProto.FLOAT, b.shape, b.tobytes(), raw=True)]


def mlp(name, sizes, output, softmax):
    rng = np.random.default_rng(SEED + sum(sizes))
    initializers, nodes = [], []
    current = "features"
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        layer = f"fc{i}"
        initializers += dense(rng, layer, n_in, n_out)
        out = f"{layer}.out"
        nodes.append(helper.make_node("Gemm", [current, f"{layer}.weight", f"{layer}.bias"], [out], name=layer))
        current = out
        if i < len(sizes) - 2:
            nodes.append(helper.make_node("Relu", [current], [f"{layer}.relu"], name=f"{layer}.relu"))
            current = f"{layer}.relu"
    if softmax:
        nodes.append(helper.make_node("Softmax", [current], [output], name="softmax", axis=-1))
    else:
        nodes.append(helper.make_node("Identity", [current], [output], name="output"))
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", sizes[0]])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["batch", sizes[-1]])],
        initializers)
    model = helper.make_model(graph, producer_name="lbproxy-generate_models",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = os.path.join(HERE, f"{name}.onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    mlp("classifier-small", [4, 64, 3], "logits", softmax=False)
    mlp("classifier-heavy", [256, 1024, 1024, 3], "probabilities", softmax=True)
    mlp("scorer-tiny", [8, 16, 5], "scores", softmax=True)
