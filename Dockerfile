# allocbot as a container: the long-running bot once `allocbot run` exists;
# until then the image runs the demo by default.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY connectors ./connectors
# Tesseract with its Norwegian and English models reads scanned PDF statements.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-nor tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 allocbot \
    && mkdir -p /data && chown allocbot /data

USER allocbot
WORKDIR /data
# Mount a folder with config.toml and the master data at /data; secrets come
# from environment variables (see config.example.toml).
ENTRYPOINT ["allocbot"]
CMD ["demo"]
