# Production image: the bot in webhook mode against an external PostgreSQL + pgvector.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEBHOOK_HOST=0.0.0.0 \
    WEBHOOK_PORT=8080 \
    DATA_DIR=/app/data

WORKDIR /app
# Fonts for the names on certificates (Latin, Arabic, CJK): bot/views/certificate_pdf.py.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-core fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 tutorbot
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY domain ./domain
COPY storage ./storage
COPY migrations ./migrations
COPY courses ./courses
# Editable install on purpose: storage/migrations.py finds migrations/ and bot/demo finds
# courses/ relative to their own source files (../migrations, ../../courses), which only
# holds while the packages stay in /app next to those folders, not in site-packages.
RUN pip install -e . && chown -R tutorbot /app
USER tutorbot

EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"WEBHOOK_PORT\", \"8080\")}/healthz', timeout=4)"

# docker stop / compose send SIGTERM; `exec` below makes `tutorbot run` PID 1 so the signal
# reaches the bot itself (not sh), which then shuts down cleanly within the grace period.
STOPSIGNAL SIGTERM
# Migrations run under a PostgreSQL advisory lock, so replicas starting together are safe.
CMD ["sh", "-c", "tutorbot migrate && exec tutorbot run"]
