# Production image: Daphne serves HTTP + websockets; the same image runs the clock process.
# Front-end packages come from npm at build time (no CDN at run time).
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 AUCTION_MODE=production
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-zenhei gettext \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=assets /app/node_modules ./node_modules
RUN AUCTION_MODE=demo python manage.py collectstatic --noinput >/dev/null \
 && useradd --system --uid 1000 auction && mkdir -p var && chown -R auction var
USER auction
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["sh", "-c", "python manage.py migrate --noinput && exec daphne -b 0.0.0.0 -p 8000 --proxy-headers auction_site.asgi:application"]
