# syntax=docker/dockerfile:1
# Pulse: one image for the bot (`python app.py`, the default) and the worker
# (`python -m bot.worker`, set as the container command by the deployment).
# Build: docker build -t pulse:<version> .
# The deployment sets PULSE_MODE=production and the other settings (see docs/operations.md);
# nothing secret is baked into the image.

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# --- build: wheels of the pinned runtime dependencies, in a virtual environment -------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /build
RUN python -m venv /opt/venv
COPY requirements.txt .
RUN /opt/venv/bin/pip install --no-cache-dir -r requirements.txt

# --- runtime: the virtual environment and the application, as a non-root user --------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PULSE_PORT=3978 \
    PULSE_LOG_FORMAT=json
RUN groupadd --system --gid 10001 pulse \
    && useradd --system --uid 10001 --gid pulse --home-dir /app --shell /usr/sbin/nologin pulse
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --chown=root:root app.py pyproject.toml ./
COPY --chown=root:root bot/ bot/
COPY --chown=root:root dialogs/ dialogs/
COPY --chown=root:root prompts/ prompts/
COPY --chown=root:root content/ content/
COPY --chown=root:root manifest/ manifest/
# The only writable place (local storage in demo mode); production uses Blob Storage.
RUN mkdir -p /app/var && chown pulse:pulse /app/var
USER 10001:10001
EXPOSE 3978
# Liveness of the web process; the worker's own probes are /healthz on PULSE_WORKER_PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os,sys,urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PULSE_PORT', '3978'), timeout=4).status == 200 else 1)"]
CMD ["python", "app.py"]
