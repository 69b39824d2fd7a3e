"""The floor every figure is compared with: a bare FastAPI endpoint returning a constant."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    """Readiness for the bench harness."""
    return {"status": "ok"}


@app.get("/floor")
async def floor() -> dict[str, str]:
    """A constant answer: nothing but FastAPI and uvicorn."""
    return {"status": "ok"}
