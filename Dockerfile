# Production image for Livehall's web server and worker (one image, two targets).
#   docker build --target web -t livehall-web .
#   docker build --target worker -t livehall-worker .
# Both need DATABASE_URL, REDIS_URL, AUTH_SECRET, APP_URL, SMTP_URL and MAIL_FROM; run `npm run db:migrate` once per release
# (e.g. as a release/init job with the `migrate` target) before starting new web instances.

FROM node:20-bookworm-slim AS base
ENV NODE_ENV=production
WORKDIR /app

# --- dependencies (dev included: the build needs them) ---
FROM base AS deps
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY apps/web/package.json apps/web/
COPY apps/worker/package.json apps/worker/
COPY packages/api/package.json packages/api/
COPY packages/db/package.json packages/db/
COPY packages/media-server/package.json packages/media-server/
COPY packages/testing/package.json packages/testing/
COPY bench/package.json bench/
RUN npm ci --include=dev --ignore-scripts

# --- build: Prisma client, Remix build, bundled server and worker ---
FROM deps AS build
COPY . .
RUN npx turbo run build \
 && npm prune --omit=dev --ignore-scripts

# --- runtime: only what runs ---
FROM base AS runtime
RUN groupadd --system livehall && useradd --system --gid livehall livehall
COPY --from=build --chown=livehall:livehall /app/node_modules ./node_modules
COPY --from=build --chown=livehall:livehall /app/package.json ./
COPY --from=build --chown=livehall:livehall /app/packages ./packages
USER livehall

# The migration runner is TypeScript run by tsx (a dev dependency), so it keeps the full install.
FROM deps AS migrate
COPY packages ./packages
CMD ["npm", "run", "db:migrate"]

FROM runtime AS web
COPY --from=build --chown=livehall:livehall /app/apps/web/build ./apps/web/build
COPY --from=build --chown=livehall:livehall /app/apps/web/package.json ./apps/web/
ENV PORT=3000
EXPOSE 3000
# /metrics listens apart from the public port; inside the container it must accept the scraper's
# connections, so publish 9465 only on the monitoring network.
ENV METRICS_HOST=0.0.0.0 METRICS_PORT=9465
EXPOSE 9465
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--max-semi-space-size=64", "apps/web/build/server.js"]

FROM runtime AS worker
COPY --from=build --chown=livehall:livehall /app/apps/worker/dist ./apps/worker/dist
COPY --from=build --chown=livehall:livehall /app/apps/worker/package.json ./apps/worker/
ENV WORKER_METRICS_PORT=9464
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.WORKER_METRICS_PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "apps/worker/dist/main.js"]
