# syntax=docker/dockerfile:1
# One image per service of the member portal:
#   docker build --build-arg SERVICE=billing -t member-portal/billing .
# The image runs the service's web (gunicorn, the default command), relay, worker and migrations.
# It also carries the gateway's static assets (portal.css, error pages, Swagger UI) under
# /opt/gateway, which docker compose and Kubernetes copy into a volume for the stock nginx image.

# Swagger UI for the offline /api/<service>/docs pages, taken from the swagger-ui-bundle wheel.
FROM python:3.11-slim AS swagger-ui
RUN pip install --no-cache-dir --disable-pip-version-check swagger-ui-bundle==1.1.0 \
 && python -c "import shutil, swagger_ui_bundle; shutil.copytree(swagger_ui_bundle.swagger_ui_path, '/swagger-ui', ignore=shutil.ignore_patterns('*.map', '*.j2'))"

FROM python:3.11-slim
ARG SERVICE
RUN test -n "${SERVICE}" \
 || (echo "build with --build-arg SERVICE=<identity|members|workforce|scheduling|billing>" >&2; exit 1)

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORTAL_SERVICE=${SERVICE} \
    PORTAL_DATA_DIR=/app/var

# DejaVu fonts: billing embeds them in its PDF/A-3 (Factur-X) invoices.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin portal
WORKDIR /app

# The shared library first: this layer is the same for every service image.
COPY libs/portal_common /app/libs/portal_common
RUN pip install /app/libs/portal_common

COPY services/${SERVICE} /app/services/${SERVICE}
RUN pip install /app/services/${SERVICE}

COPY --from=swagger-ui /swagger-ui /opt/gateway/swagger-ui
COPY gateway/static /opt/gateway/static
# /srv/portal is where a volume for the gateway assets is mounted: owned by the runtime user so a
# fresh volume inherits that ownership and the copy step needs no root.
RUN mkdir -p /app/var /srv/portal && chown portal:portal /app/var /srv/portal

USER portal
# Alembic finds alembic.ini here: `alembic -c alembic.ini upgrade head`.
WORKDIR /app/services/${SERVICE}
EXPOSE 8000
CMD ["sh", "-c", "exec gunicorn -c python:portal_common.gunicorn_conf \"${PORTAL_SERVICE}.app:create_app()\""]
