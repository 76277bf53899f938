# Tagtrack server image.
#   docker build -t tagtrack .
#   docker run -p 8000:8000 -v tagtrack-data:/data -e PUBLIC_URL=https://tags.example.com tagtrack
# HTTPS for phones: deploy/compose.yaml puts Caddy in front; or mount a certificate and set
# TAGTRACK_CERTFILE / TAGTRACK_KEYFILE (README, "Scanning from phones").
# SQLite in /data by default; set DATABASE_URL=postgresql://user@host:5432/db for PostgreSQL.
# The first start prints a one-time password for the `admin` user in the container log.
# The scanning page's decoder (barcode-detector + zxing-wasm, pinned by web/package-lock.json),
# as `make web-assets` builds it: the same two commands.
FROM node:20-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json web/copy-vendor.mjs ./
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && node copy-vendor.mjs

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Build from a throw-away copy of the sources: pip builds the wheel in the source tree.
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY server ./server
COPY labels ./labels
# Exact pins from pyproject.toml; requirements.lock pins the transitive dependencies.
RUN pip install -c requirements.lock . \
    && cd / && rm -rf /src \
    && tagtrack --help > /dev/null

# Static assets are not a Python package: they live beside the install.
COPY web /app/web
COPY --from=web /web/static/vendor /app/web/static/vendor
ENV TAGTRACK_WEB_DIR=/app/web

RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home tagtrack \
    && mkdir -p /data && chown tagtrack:tagtrack /data
WORKDIR /data
USER tagtrack

ENV TAGTRACK_DATA_DIR=/data
VOLUME /data
EXPOSE 8000

# No curl in slim images: ask /healthz with the standard library (non-200 or no answer -> 1),
# over https when the container serves it itself (TAGTRACK_CERTFILE; the certificate names
# the site, not 127.0.0.1, so this one local probe does not check it).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, ssl, sys, urllib.request as u; s = 'https' if os.environ.get('TAGTRACK_CERTFILE') else 'http'; sys.exit(0 if u.urlopen(s + '://127.0.0.1:8000/healthz', timeout=4, context=ssl._create_unverified_context()).status == 200 else 1)"]

CMD ["tagtrack", "serve", "--host", "0.0.0.0", "--port", "8000"]
