# Production image: gunicorn serving Django as a non-root user, static files collected at build.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=loyalty_saas.settings.production

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Build-time only values: collectstatic and compilemessages read settings but touch no database and
# sign nothing, so a throwaway key (and unused URLs) is enough here. The real SECRET_KEY comes at run time.
RUN BUILD_ENV="SECRET_KEY=build-only-$(python -c 'import secrets; print(secrets.token_hex(32))') \
      DATABASE_URL=postgres://build@localhost/build CACHE_URL=redis://localhost:6379/1" \
    && env $BUILD_ENV python manage.py compilemessages --ignore=.venv -v 0 \
    && env $BUILD_ENV python manage.py collectstatic --noinput -v 0 \
    && useradd --create-home --uid 10001 loyalty \
    && mkdir -p /app/media && chown loyalty /app/media

USER loyalty
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,os; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/healthz', headers={'Host': os.environ.get('PLATFORM_DOMAIN', 'localhost'), 'X-Forwarded-Proto': 'https'}))"
CMD ["sh", "-c", "exec gunicorn loyalty_saas.wsgi:application --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-4} --threads ${WEB_THREADS:-2} -c python:loyalty_saas.gunicorn_conf --forwarded-allow-ips='*'"]
