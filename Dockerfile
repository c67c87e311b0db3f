# Production image: compiled JavaScript and production dependencies only.
# Build stage: full toolchain, dev dependencies, TypeScript compile.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm ci --omit=dev --no-audit --no-fund

# Run stage: distroless Node 24, no shell, no package manager.
FROM gcr.io/distroless/nodejs24-debian12 AS run
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY proto ./proto
# A fixed numeric UID/GID so runAsNonRoot can be verified without /etc/passwd.
USER 65532:65532
ENV NODE_ENV=production \
    MERIDIAN_GRPC_LISTEN=0.0.0.0:9053 \
    METRICS_ADDRESS=0.0.0.0:8080
EXPOSE 9053 8080
# SIGTERM starts the graceful shutdown (not ready, grace period, close).
STOPSIGNAL SIGTERM
# The distroless image has no shell or curl: Node itself probes /healthz.
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD ["/nodejs/bin/node", "-e", "fetch('http://127.0.0.1:'+(process.env.METRICS_ADDRESS||'0.0.0.0:8080').split(':').pop()+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/nodejs/bin/node", "dist/main.js"]
