#!/usr/bin/env python3
"""Writes the committed seed corpora of the fuzz targets (seeds/<target>/) from the requests
the runtime's tests send: the reference inputs of tests/models (tiny, typed, the 72 batch
requests), as V2 JSON (nested and flat), as binary-extension bodies, as /predict bodies and as
gRPC ModelInferRequest messages (typed and raw), plus the malformed requests the tests send.

    python3 crates/runtime/fuzz/make_seeds.py   # gRPC seeds need tritonclient[grpc] (its protobuf messages)
"""

import hashlib
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "tests", "models")
DATATYPES = {"input": "FP32", "a": "FP64", "b": "INT32", "c": "INT64", "d": "BOOL"}
PACK = {"FP32": "<f", "FP64": "<d", "INT32": "<i", "INT64": "<q", "BOOL": "<?"}


def flat(v):
    return [x for item in v for x in flat(item)] if isinstance(v, list) else [v]


def write(target, data):
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def requests():
    """(inputs {name: {shape, data}}) of every reference request."""
    out = []
    for name in ("tiny", "typed"):
        ref = json.load(open(os.path.join(MODELS, f"{name}.reference.json")))
        out.append(ref["inputs"])
    batch = json.load(open(os.path.join(MODELS, "batch.reference.json")))
    for name in ("tiny", "typed"):
        out += [r["inputs"] for r in batch[name][:12]]
    return out


def v2(inputs, nested=True, **extra):
    body = {"inputs": [
        {"name": n, "shape": t["shape"], "datatype": DATATYPES[n], "data": t["data"] if nested else flat(t["data"])}
        for n, t in inputs.items()
    ]}
    body.update(extra)
    return json.dumps(body)


def binary(inputs, all_binary=True):
    header = {"inputs": [], "parameters": {"binary_data_output": all_binary}}
    tail = b""
    for n, t in inputs.items():
        values = flat(t["data"])
        raw = b"".join(struct.pack(PACK[DATATYPES[n]], v) for v in values)
        header["inputs"].append({"name": n, "shape": t["shape"], "datatype": DATATYPES[n], "parameters": {"binary_data_size": len(raw)}})
        tail += raw
    head = json.dumps(header).encode()
    return struct.pack("<I", len(head)) + head + tail


def grpc(inputs, raw):
    from tritonclient.grpc import service_pb2

    req = service_pb2.ModelInferRequest(model_name="fuzz", id="seed")
    for n, t in inputs.items():
        dt = DATATYPES[n]
        tensor = req.inputs.add(name=n, datatype=dt, shape=t["shape"])
        values = flat(t["data"])
        if raw:
            req.raw_input_contents.append(b"".join(struct.pack(PACK[dt], v) for v in values))
        else:
            field = {"FP32": "fp32_contents", "FP64": "fp64_contents", "INT32": "int_contents", "INT64": "int64_contents", "BOOL": "bool_contents"}[dt]
            getattr(tensor.contents, field).extend(values)
    if raw:
        req.parameters["binary_data_output"].bool_param = True
    return req.SerializeToString()


def main():
    for inputs in requests():
        write("oip_json", v2(inputs))
        write("oip_json", v2(inputs, nested=False, id="r1", outputs=[{"name": "probabilities"}]))
        write("binary_ext", binary(inputs))
        write("binary_ext", binary(inputs, all_binary=False))
        if list(inputs) == ["input"]:
            write("predict", json.dumps({"features": inputs["input"]["data"]}))
            write("predict", json.dumps({"features": inputs["input"]["data"][0]}))
        try:
            write("grpc_proto", grpc(inputs, raw=False))
            write("grpc_proto", grpc(inputs, raw=True))
        except ImportError:
            pass
    # The malformed requests the tests send.
    for body in ['{', '[1, 2]', '{"inputs": []}', '{"inputs": [{"name": "input", "shape": [1, 5], "datatype": "FP32", "data": [1, 2, 3, 4, 5]}]}',
                 '{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP64", "data": [1, 2, 3, 4]}]}',
                 '{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [NaN, 2, 3, 4]}]}',
                 '{"inputs": [{"name": "input", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3]]}]}']:
        write("oip_json", body)
    for body in ['{"features": [[1, 2], [3]]}', '{"features": [1, 2, 3]}', '{"features": [true, 1, 2, 3]}',
                 '{"features": [1e39, 0, 0, 0]}', '{"feat\\u0075res": [1, 2, 3, 4]}', '{"features": [[[1, 2, 3, 4]]]}']:
        write("predict", body)
    # json_tensor's own inputs: datatype byte, rank byte, dims, JSON.
    for dt in range(11):
        write("oip_json", bytes([dt, 2, 2, 3]) + b"[[1, 2, 3], [4, 5, 6]]")
        write("binary_ext", bytes([dt, 2, 2, 3]) + bytes(range(48)))


if __name__ == "__main__":
    main()
