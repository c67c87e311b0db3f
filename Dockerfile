# Production image: compiled JavaScript and production dependencies only.
# test/integration/image-contents.test.ts runs this file's build steps in a
# clean directory and starts the result, since the tests have no image engine.

# Build stage: full toolchain, dev dependencies, TypeScript compile.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The locked versions, as run.sh installs them. Not `npm ci`: a lock made
# against a registry that omits other platforms' optional binaries lacks
# their entries, and `npm ci` rejects such a lock as out of sync.
RUN npm install --no-audit --no-fund --no-save
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Compile, then drop the dev dependencies (TypeScript, Jest, ESLint, ...).
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Run stage: distroless Node 24, no shell, no package manager.
FROM gcr.io/distroless/nodejs24-debian12 AS run
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY proto ./proto
# A fixed numeric UID/GID (distroless's nonroot, as in the CoreDNS image), so
# that runAsNonRoot can be verified without /etc/passwd and both containers of
# the chart's Pod own the unix socket between them.
USER 65532:65532
ENV NODE_ENV=production \
    MERIDIAN_GRPC_LISTEN=0.0.0.0:9053 \
    METRICS_ADDRESS=0.0.0.0:8080
EXPOSE 9053 8080
# SIGTERM starts the graceful shutdown (not ready, grace period, close).
STOPSIGNAL SIGTERM
# The same check as the chart's liveness probe (GET /healthz on the metrics
# address, same period, timeout and failures). No shell or curl here: Node
# itself asks, on loopback when Meridian listens on every address.
HEALTHCHECK --interval=10s --timeout=2s --start-period=5s --retries=3 \
  CMD ["/nodejs/bin/node", "-e", "const a=process.env.METRICS_ADDRESS||'0.0.0.0:8080',i=a.lastIndexOf(':');let h=a.slice(0,i).replace(/^\\[|\\]$/g,'');if(h===''||h==='0.0.0.0'||h==='::')h='127.0.0.1';fetch('http://'+(h.includes(':')?'['+h+']':h)+':'+a.slice(i+1)+'/healthz',{signal:AbortSignal.timeout(2000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/nodejs/bin/node", "dist/main.js"]
