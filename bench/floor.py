"""The floor every figure is compared with: a bare FastAPI endpoint returning a constant.

The same endpoint as the lean calibration's floor (../shared/lean/run.sh), to the letter: no
return annotation. With `-> dict[str, str]` FastAPI 0.16x serialises the answer through a
response model (pydantic's core) instead of `jsonable_encoder`, and that floor answered 5-8 %
more requests per second than the lean one on this machine, which lowered every WardGate
ratio next to lean's by as much.
"""

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
async def health():  # no return annotation: as the lean floor
    """Readiness for the bench harness."""
    return {"status": "ok"}


@app.get("/floor")
async def floor():  # no return annotation: as the lean floor
    """A constant answer: nothing but FastAPI and uvicorn."""
    return {"status": "ok"}
