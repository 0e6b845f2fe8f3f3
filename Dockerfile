# otpflow: one image for the worker, the HTTP API, setup and the emulator
# (`docker run otpflow worker|api|setup|emulator`).

FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Prebuilt workflow bundles (plain and encrypted) into dist/: workers start without webpack.
RUN npx tsx worker/build-bundle.ts \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production
# The SDK sizes a worker's workflow cache by the V8 heap limit: with Node's default a worker
# cached ~2,300 verifications and reached 1.7 GB RSS with 10,000 pending; at 384 MiB it caches
# 135 and stayed under 400 MiB, expiries still on time (BENCHMARKS.md). Override to change it.
ENV NODE_OPTIONS=--max-old-space-size=384
WORKDIR /app
COPY --from=build --chown=node:node /app /app
# Mount point of the emulator's data volume, writable by the unprivileged user.
RUN mkdir -p /data && chown node:node /data
USER node
# 8080 HTTP API, 8888 codec endpoint, 9464 Prometheus metrics, 8090 emulator.
EXPOSE 8080 8888 9464 8090
ENTRYPOINT ["node", "bin/otpflow.js"]
CMD ["worker"]
