# Leerkring for production: the app (gunicorn, gevent) or the notification worker, one image.
# compose.yaml builds it; see README.md, Production.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/leerkring
COPY pyproject.toml ./
COPY app/__init__.py app/__init__.py
RUN pip install --quiet --upgrade pip && pip install --quiet -e .
COPY . .
COPY --from=frontend /src/node_modules/htmx.org/dist/htmx.min.js app/static/vendor/htmx.min.js
COPY --from=frontend /src/node_modules/htmx.org/dist/ext/hx-sse.min.js app/static/vendor/hx-sse.min.js
RUN pybabel compile --use-fuzzy -d app/translations \
    && useradd --system --home /srv/leerkring leerkring && mkdir -p instance && chown leerkring instance
USER leerkring
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "app:create_app()"]
