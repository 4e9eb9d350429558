"""A second peer of the benchmark: FastAPI under uvicorn (2 workers), serving the same ONNX
model through onnxruntime with the same `/predict` API:

    MODEL_PATH=model.onnx uvicorn --workers 2 --host 127.0.0.1 --port 8002 fastapi_app:app

The handler is `async` and runs onnxruntime inline (no thread-pool hop): the fastest plain
FastAPI form for a model this small.
"""

import os

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()
session = ort.InferenceSession(os.environ["MODEL_PATH"], providers=["CPUExecutionProvider"])
input_name = session.get_inputs()[0].name


@app.get("/health")
async def health():
    return {"status": "healthy"}


@app.post("/predict")
async def predict(request: Request):
    try:
        features = np.asarray((await request.json())["features"], dtype=np.float32)
        if features.ndim == 1:
            features = features[np.newaxis, :]
        prediction = session.run(None, {input_name: features})[0]
        return {"prediction": prediction.tolist(), "status": "success"}
    except Exception as e:  # the article's error handling
        return JSONResponse({"error": str(e), "status": "error"}, status_code=400)
