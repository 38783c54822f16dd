# perfex-bridge: slim image, non-root, the `bridge` command as entry point.
#   docker build -t perfex-bridge .
#   docker run --rm -e BRIDGE_REDIS_URL=redis://redis:6379/0 perfex-bridge web
FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements-runtime.lock pyproject.toml README.md ./
RUN python -m venv /opt/bridge && /opt/bridge/bin/pip install -r requirements-runtime.lock
COPY bridge ./bridge
COPY workers ./workers
RUN /opt/bridge/bin/pip install --no-deps .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 bridge
COPY --from=build /opt/bridge /opt/bridge
COPY rules /app/rules
WORKDIR /app
ENV PATH=/opt/bridge/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    BRIDGE_HOST=0.0.0.0 \
    BRIDGE_DATA_DIR=/app/data \
    BRIDGE_RULES=/app/rules
RUN mkdir -p /app/data && chown bridge:bridge /app/data
USER bridge
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
ENTRYPOINT ["bridge"]
CMD ["up"]
