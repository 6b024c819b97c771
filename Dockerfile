# Mauzo: the dashboard, REST API and CLI in one image.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MAUZO_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY app ./app
COPY pages ./pages
COPY components ./components
COPY data ./data
COPY ingest ./ingest
COPY assets ./assets
# Editable install keeps assets/ beside the packages, where the app factory looks for them.
RUN pip install -e . && useradd --create-home --uid 1000 mauzo && mkdir -p /data && chown mauzo /data
USER mauzo
VOLUME ["/data"]
EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8050/api/health', timeout=4)" || exit 1
CMD ["sh", "-c", "mauzo demo --if-empty && exec mauzo serve --host 0.0.0.0 --port 8050 --workers ${MAUZO_WORKERS:-2}"]
