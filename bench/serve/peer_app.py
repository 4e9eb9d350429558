"""The peer of the benchmark: the source article's Flask app, serving the same ONNX model
through onnxruntime instead of TensorFlow. Run under gunicorn with 2 workers:

    MODEL_PATH=model.onnx gunicorn -w 2 -b 127.0.0.1:8001 peer_app:app
"""

import os

import numpy as np
import onnxruntime as ort
from flask import Flask, jsonify, request

app = Flask(__name__)
session = ort.InferenceSession(os.environ["MODEL_PATH"], providers=["CPUExecutionProvider"])
input_name = session.get_inputs()[0].name


@app.route("/health")
def health():
    return jsonify(status="healthy")


@app.route("/predict", methods=["POST"])
def predict():
    try:
        features = np.asarray(request.get_json()["features"], dtype=np.float32)
        if features.ndim == 1:
            features = features[np.newaxis, :]
        prediction = session.run(None, {input_name: features})[0]
        return jsonify(prediction=prediction.tolist(), status="success")
    except Exception as e:  # the article's error handling
        return jsonify(error=str(e), status="error"), 400
