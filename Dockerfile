# One image for all three services and the migrate job.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY pyproject.toml alembic.ini ./
COPY shared ./shared
COPY services ./services
COPY migrations ./migrations
RUN pip install --no-deps -e . && useradd --system --uid 10001 wardgate \
    && mkdir -p /data && chown wardgate /data
USER wardgate
ENV WARDGATE_DATA_DIR=/data
