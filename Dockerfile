# allocbot as a container running `allocbot run`. compose.yaml runs it next to PostgreSQL;
# docs/operations.md describes the set-up, the health check and backups.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# Tesseract with its Norwegian and English models reads scanned PDF statements.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-nor tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# The dependencies first, at the versions pyproject.toml pins, so that a change
# of the code alone reuses this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && pip install --no-cache-dir -r requirements.txt

COPY README.md ./
COPY bot ./bot
COPY connectors ./connectors
RUN pip install --no-cache-dir --no-deps . \
    && useradd --create-home --uid 10001 allocbot \
    && mkdir -p /data/etc /data/var \
    && chown allocbot /data/var

USER allocbot
WORKDIR /data
# /data/etc: config.toml and the master data, mounted read-only. /data/var: the
# store's documents, model versions and exports, kept on a volume. Secrets come
# from environment variables (see config.example.toml).
VOLUME ["/data/var"]
# 3000: the Slack HTTP endpoint (slack.listen_port). 9464: /healthz and /metrics (service.health_port).
EXPOSE 3000 9464

# Counts as unhealthy after three failed probes in a row. The start period covers
# loading spaCy and migrating the store. The port must match service.health_port.
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9464/healthz', timeout=8)"]

ENTRYPOINT ["allocbot"]
CMD ["--config", "/data/etc/config.toml", "run"]
