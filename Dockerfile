# One image for every service; the command picks the service: `jietiao serve <name>`.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shared shared
COPY services services
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 jietiao
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER jietiao
ENV JIETIAO_HEALTH_HOST=0.0.0.0 JIETIAO_HEALTH_PORT=8081 JIETIAO_LOG_FORMAT=json
ENTRYPOINT ["jietiao"]
CMD ["serve", "gateway"]
