# ExoTrack web, worker and beat image. One image, three commands (see docker-compose.yml).

# Build stage: dependencies into a virtualenv, static files collected.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# collectstatic imports the production settings, which refuse to start without a key and a
# shared cache, and need a database URL; none of them is used and none stays in the image.
RUN SECRET_KEY=build-only-not-a-secret \
    CACHE_URL=redis://127.0.0.1:6379/0 \
    DATABASE_URL=postgres://build@127.0.0.1:5432/build \
    python manage.py collectstatic --no-input

# Run stage: no compilers or build caches, a non-root user.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings.base
RUN groupadd --system --gid 10001 exotrack \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --home-dir /app exotrack
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /app /app
# Beat keeps its schedule file under var/; the code itself stays read-only to the app user.
RUN mkdir -p /app/var && chown exotrack:exotrack /app/var
USER 10001:10001
EXPOSE 8000
# /healthz is answered only for an allowed host name: use the first of ALLOWED_HOSTS.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; host = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.*') or 'localhost'; r.urlopen(r.Request('http://127.0.0.1:8000/healthz', headers={'Host': host}), timeout=4)"]
# Workers, timeout and bind: config/gunicorn.py (WEB_CONCURRENCY, GUNICORN_TIMEOUT).
CMD ["gunicorn", "--config", "python:config.gunicorn", "config.wsgi"]
