# syntax=docker/dockerfile:1
# Debts Hub: one image for every role (APP_ROLES picks what a container runs). See compose.yaml.
ARG NODE_VERSION=24

# ---- build: compile src/, migrations/ and scripts/ into dist/ with every dependency available
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts
RUN npm run build

# ---- deps: production dependencies only
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime: no compiler, no dev dependencies, not root
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --chown=node:node package.json ./
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
EXPOSE 3000
# Readiness of the HTTP role (database, Redis, migrations). Containers without the api role serve
# no HTTP: compose.yaml turns this check off for them.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains active jobs and requests before exit (SHUTDOWN_TIMEOUT_MS, 25 s by default):
# give the container longer than that to stop (compose: stop_grace_period).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
