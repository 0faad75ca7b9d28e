# LeaverGuard server image: slim Python, non-root, gunicorn serving server:create_app().
# The database is migrated at start; configuration comes from LEAVERGUARD_* and DATABASE_URL.

# The Outlook add-in's one npm run-time dependency: MSAL.js for nested app authentication (no dev tools).
FROM node:20-slim AS addin-deps
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    LEAVERGUARD_ENV=production

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt \
    && useradd --create-home --uid 10001 leaverguard \
    && mkdir -p /app/instance && chown leaverguard /app/instance
COPY server ./server
COPY addin ./addin
COPY --from=addin-deps /build/node_modules/@azure/msal-browser/lib/msal-browser.min.js \
     ./node_modules/@azure/msal-browser/lib/msal-browser.min.js

USER leaverguard
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["sh", "-c", "flask --app server db upgrade && exec gunicorn --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-2} --access-logfile - 'server:create_app()'"]
