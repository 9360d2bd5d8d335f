# greeter-api in a container.
#
#   docker compose up                       (see docker-compose.yml)
#   docker build -t greeter-api .
#   docker build --build-arg BASE_IMAGE=greeter-base:trixie .
#
# BASE_IMAGE: any Debian-based image with python3 (>= 3.10) and venv: the
# public Python 3.13 slim image on Debian 13 (trixie) by default, or the
# one docker/prepare-offline-images.sh builds where there is no registry.
ARG BASE_IMAGE=python:3.13-slim-trixie

FROM ${BASE_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python3 -m venv /opt/greeter
WORKDIR /src
# Dependencies first: this layer is rebuilt only when they change.
COPY requirements.txt upper-constraints.txt ./
RUN /opt/greeter/bin/pip install -c upper-constraints.txt -r requirements.txt
COPY pyproject.toml setup.cfg README.md ./
COPY greeter ./greeter
RUN /opt/greeter/bin/pip install --no-deps . \
    && /opt/greeter/bin/python -m compileall -q /opt/greeter

FROM ${BASE_IMAGE}
ARG GREETER_UID=42424
LABEL org.opencontainers.image.title="greeter-api" \
      org.opencontainers.image.description="A small OpenStack-style greeting API: paste pipeline, WebOb, Routes, oslo, gunicorn" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="1.0.0"
ENV PATH=/opt/greeter/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN groupadd --system --gid ${GREETER_UID} greeter \
    && useradd --system --uid ${GREETER_UID} --gid greeter \
       --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
       greeter
COPY --from=builder /opt/greeter /opt/greeter
# Root-owned and read-only to the service; mount over it to reconfigure.
COPY --chown=root:root etc/greeter/ /etc/greeter/
RUN chmod -R u=rwX,go=rX /etc/greeter
USER ${GREETER_UID}:${GREETER_UID}
EXPOSE 8004
# No curl in slim images: the venv's python asks /healthcheck (a 503
# while draining raises, so the check fails).
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8004/healthcheck', timeout=2)"]
CMD ["greeter-api"]
