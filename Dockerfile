# The image for the api, worker and beat services of docker-compose.yml.

# The family app, built by npm and Vite into the package's static folder.
FROM node:20-slim AS web
WORKDIR /src/voicebox/web
COPY voicebox/web/package.json voicebox/web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY voicebox/web ./
RUN npm run build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VOICEBOX_DATA_DIR=/var/lib/voicebox

WORKDIR /app
COPY pyproject.toml README.md ./
COPY voicebox ./voicebox
COPY workers ./workers
COPY config ./config
COPY --from=web /src/voicebox/static ./voicebox/static
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /var/lib/voicebox voicebox \
    && mkdir -p /var/lib/voicebox \
    && chown voicebox /var/lib/voicebox

USER voicebox
EXPOSE 8000
CMD ["gunicorn", "-c", "python:config.gunicorn", "--bind", "0.0.0.0:8000", "voicebox:create_app()"]
