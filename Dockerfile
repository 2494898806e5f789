# One image for every service; the command picks it: `jietiao serve <name>` (or `bootstrap`).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shared shared
COPY services services
# Wheels of the project and every dependency: the runtime stage needs no compiler or cache.
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    JIETIAO_HEALTH_HOST=0.0.0.0 \
    JIETIAO_HEALTH_PORT=8081 \
    JIETIAO_LOG_FORMAT=json
RUN useradd --create-home --uid 10001 --user-group jietiao
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 10001:10001
WORKDIR /home/jietiao
# /healthz for probes, /metrics for Prometheus, and the gateway's web app and API.
EXPOSE 8081
# The runtime stops fetching, finishes, commits and acks in-flight messages on SIGTERM.
STOPSIGNAL SIGTERM
ENTRYPOINT ["jietiao"]
CMD ["serve", "gateway"]
