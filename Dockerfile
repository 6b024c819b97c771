# Mauzo: the dashboard, REST API and CLI in one image; gunicorn serves app.wsgi:server.
#   docker build -t mauzo:0.1.0 .
# Runs as the unprivileged user mauzo (uid 1000, the same uid as the Druid images, so both can
# write the shared ingest directory).
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MAUZO_DATA_DIR=/data

RUN groupadd --gid 1000 mauzo \
 && useradd --uid 1000 --gid mauzo --create-home --shell /usr/sbin/nologin mauzo

WORKDIR /app

# Dependencies first, read from pyproject.toml alone, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

COPY app ./app
COPY pages ./pages
COPY components ./components
COPY data ./data
COPY ingest ./ingest
COPY assets ./assets
COPY docker/entrypoint.sh /usr/local/bin/mauzo-entrypoint

# Editable install keeps assets/ beside the packages, where the app factory looks for them.
RUN pip install --no-deps -e . \
 && chmod 0755 /usr/local/bin/mauzo-entrypoint \
 && mkdir -p /data /opt/mauzo-ingest \
 && chown mauzo:mauzo /data /opt/mauzo-ingest

USER mauzo
VOLUME ["/data"]
EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8050/api/health', timeout=4)" || exit 1
ENTRYPOINT ["mauzo-entrypoint"]
CMD ["serve"]
