#!/usr/bin/env python3
"""Make the ONNX test models of slipway-serve and their reference outputs.

The reference outputs come from onnxruntime and are cross-checked against a plain numpy
computation, so the end-to-end tests compare tract's numbers with two independent
implementations.

    python make_models.py                   # tiny.onnx, typed.onnx (+ *.reference.json), gram.onnx,
                                            # center.onnx, batch.reference.json here
    python make_models.py --medium out.onnx # the 784->512->512->10 MLP of the benchmark

Requires: pip install onnx onnxruntime numpy. Deterministic: fixed seeds, fixed opset.
"""

import argparse
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 8  # readable by tract and by any onnxruntime from 1.10 on
HERE = os.path.dirname(os.path.abspath(__file__))


def save(model, path):
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    onnx.save(model, path)


def mlp(name, sizes, seed, softmax_output):
    """An MLP with ReLU between layers, a symbolic batch dimension `N`, output `logits`
    and, if softmax_output, a second output `probabilities`."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    prev = "input"
    weights = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        w = (rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32)
        b = (rng.standard_normal(n_out) * 0.1).astype(np.float32)
        weights.append((w, b))
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        last = i == len(sizes) - 2
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [f"mm{i}"]))
        out = "logits" if last else f"h{i}"
        nodes.append(helper.make_node("Add", [f"mm{i}", f"b{i}"], [out if last else f"pre{i}"]))
        if not last:
            nodes.append(helper.make_node("Relu", [f"pre{i}"], [out]))
        prev = out
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", sizes[-1]])]
    if softmax_output:
        nodes.append(helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1))
        outputs.append(
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", sizes[-1]])
        )
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", sizes[0]])],
        outputs,
        inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="slipway"
    )
    return model, weights


def numpy_mlp(x, weights, softmax_output):
    h = x.astype(np.float64)
    for i, (w, b) in enumerate(weights):
        h = h @ w.astype(np.float64) + b.astype(np.float64)
        if i < len(weights) - 1:
            h = np.maximum(h, 0.0)
    out = {"logits": h}
    if softmax_output:
        e = np.exp(h - h.max(axis=1, keepdims=True))
        out["probabilities"] = e / e.sum(axis=1, keepdims=True)
    return out


def typed_model():
    """One input per datatype the server accepts, so the tests can check each one.

    out_f64 = a + b + c + d (FP64), out_i64 = c + c (INT64), out_i32 = b * 2 (INT32),
    out_bool = not d (BOOL); every input is [N, 2].

    out_i64 is not b + c on purpose: tract 0.23.9 turns Cast(INT32 -> INT64) into its
    dimension type (TDim) and then adds b + c wrongly when c is large (1073741823 + -2^40
    gives 1073741823); onnxruntime gets it right. See crates/runtime/README.md.
    """

    def cast(src, dst, to):
        return helper.make_node("Cast", [src], [dst], to=to)

    two = numpy_helper.from_array(np.array(2, dtype=np.int32), "two")
    nodes = [
        cast("b", "bf", TensorProto.DOUBLE),
        cast("c", "cf", TensorProto.DOUBLE),
        cast("d", "df", TensorProto.DOUBLE),
        helper.make_node("Add", ["a", "bf"], ["s1"]),
        helper.make_node("Add", ["s1", "cf"], ["s2"]),
        helper.make_node("Add", ["s2", "df"], ["out_f64"]),
        helper.make_node("Add", ["c", "c"], ["out_i64"]),
        helper.make_node("Mul", ["b", "two"], ["out_i32"]),
        helper.make_node("Not", ["d"], ["out_bool"]),
    ]
    vi = helper.make_tensor_value_info
    graph = helper.make_graph(
        nodes,
        "typed",
        [
            vi("a", TensorProto.DOUBLE, ["N", 2]),
            vi("b", TensorProto.INT32, ["N", 2]),
            vi("c", TensorProto.INT64, ["N", 2]),
            vi("d", TensorProto.BOOL, ["N", 2]),
        ],
        [
            vi("out_f64", TensorProto.DOUBLE, ["N", 2]),
            vi("out_i64", TensorProto.INT64, ["N", 2]),
            vi("out_i32", TensorProto.INT32, ["N", 2]),
            vi("out_bool", TensorProto.BOOL, ["N", 2]),
        ],
        [two],
    )
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="slipway"
    )


def ort_run(path, feeds):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, feeds)))


def write_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def make_tiny():
    path = os.path.join(HERE, "tiny.onnx")
    model, weights = mlp("tiny", [4, 8, 3], seed=7, softmax_output=True)
    save(model, path)
    x = np.random.default_rng(11).standard_normal((5, 4)).astype(np.float32) * 2
    got = ort_run(path, {"input": x})
    expected = numpy_mlp(x, weights, softmax_output=True)
    for name, value in got.items():
        assert np.allclose(value, expected[name], atol=1e-5), name
    write_json(
        os.path.join(HERE, "tiny.reference.json"),
        {
            "model": "tiny.onnx",
            "computed_by": "onnxruntime %s, checked against numpy" % ort.__version__,
            "inputs": {"input": {"shape": list(x.shape), "data": x.tolist()}},
            "outputs": {k: {"shape": list(v.shape), "data": v.tolist()} for k, v in got.items()},
        },
    )


def make_typed():
    path = os.path.join(HERE, "typed.onnx")
    save(typed_model(), path)
    feeds = {
        "a": np.array([[0.5, -1.25], [1e10, 3.0]], dtype=np.float64),
        "b": np.array([[1, -2], [2147483647 // 2, 7]], dtype=np.int32),
        "c": np.array([[10, 20], [-(2**40), 5]], dtype=np.int64),
        "d": np.array([[True, False], [False, True]]),
    }
    got = ort_run(path, feeds)
    assert (got["out_i64"] == feeds["c"] * 2).all()
    assert (got["out_i32"] == feeds["b"] * 2).all()
    assert (got["out_bool"] == ~feeds["d"]).all()
    write_json(
        os.path.join(HERE, "typed.reference.json"),
        {
            "model": "typed.onnx",
            "computed_by": "onnxruntime %s, checked against numpy" % ort.__version__,
            "inputs": {k: {"shape": list(v.shape), "data": v.tolist()} for k, v in feeds.items()},
            "outputs": {k: {"shape": list(v.shape), "data": v.tolist()} for k, v in got.items()},
        },
    )


def make_gram():
    """gram.onnx: x [N, 1] -> x @ x^T [N, N]. Its output grows with the square of its input,
    so a small request can ask for gigabytes: the server must refuse it before running."""
    vi = helper.make_tensor_value_info
    graph = helper.make_graph(
        [
            helper.make_node("Transpose", ["input"], ["xt"], perm=[1, 0]),
            helper.make_node("MatMul", ["input", "xt"], ["gram"]),
        ],
        "gram",
        [vi("input", TensorProto.FLOAT, ["N", 1])],
        [vi("gram", TensorProto.FLOAT, ["N", "N"])],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="slipway"
    )
    path = os.path.join(HERE, "gram.onnx")
    save(model, path)
    x = np.array([[1.0], [2.0], [3.0]], dtype=np.float32)
    assert np.allclose(ort_run(path, {"input": x})["gram"], x @ x.T)


def make_center():
    """center.onnx: x [N, 4] -> x - mean(x over the batch) [N, 4]. Its shapes look batchable,
    but each row's output depends on the other rows: the server must not batch it."""
    vi = helper.make_tensor_value_info
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["input"], ["mean"], axes=[0], keepdims=1),
            helper.make_node("Sub", ["input", "mean"], ["centered"]),
        ],
        "center",
        [vi("input", TensorProto.FLOAT, ["N", 4])],
        [vi("centered", TensorProto.FLOAT, ["N", 4])],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="slipway"
    )
    path = os.path.join(HERE, "center.onnx")
    save(model, path)
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    assert np.allclose(ort_run(path, {"input": x})["centered"], x - x.mean(axis=0))


def make_batch_reference():
    """batch.reference.json: many independent requests of 1 to 7 rows for tiny.onnx and for
    typed.onnx (four inputs, four datatypes), each with its onnxruntime outputs computed
    alone. The batching test fires them concurrently at a batching server and checks every
    answer against its own reference."""
    rng = np.random.default_rng(23)
    tiny = os.path.join(HERE, "tiny.onnx")
    typed = os.path.join(HERE, "typed.onnx")
    doc = {
        "computed_by": "onnxruntime %s, each request alone" % ort.__version__,
        "tiny": [],
        "typed": [],
    }
    for i in range(48):
        rows = 1 + i % 7
        x = (rng.standard_normal((rows, 4)) * 2).astype(np.float32)
        got = ort_run(tiny, {"input": x})
        doc["tiny"].append(
            {
                "inputs": {"input": {"shape": list(x.shape), "data": x.tolist()}},
                "outputs": {k: v.tolist() for k, v in got.items()},
            }
        )
    for i in range(24):
        rows = 1 + i % 5
        feeds = {
            "a": np.round(rng.standard_normal((rows, 2)) * 100, 3).astype(np.float64),
            "b": rng.integers(-1000, 1000, (rows, 2)).astype(np.int32),
            "c": rng.integers(-(2**40), 2**40, (rows, 2)).astype(np.int64),
            "d": rng.integers(0, 2, (rows, 2)).astype(bool),
        }
        got = ort_run(typed, feeds)
        assert (got["out_i64"] == feeds["c"] * 2).all()
        doc["typed"].append(
            {
                "inputs": {
                    k: {"shape": list(v.shape), "data": v.tolist()} for k, v in feeds.items()
                },
                "outputs": {k: v.tolist() for k, v in got.items()},
            }
        )
    write_json(os.path.join(HERE, "batch.reference.json"), doc)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--medium", metavar="PATH", help="write the 784-512-512-10 MLP to PATH")
    args = parser.parse_args()
    if args.medium:
        model, _ = mlp("medium", [784, 512, 512, 10], seed=3, softmax_output=False)
        save(model, args.medium)
        return
    make_tiny()
    make_typed()
    make_gram()
    make_center()
    make_batch_reference()


if __name__ == "__main__":
    main()
