# Stint server image: `docker build -t stint .`
#   docker run -p 127.0.0.1:8080:8080 -v stint-data:/var/lib/stint stint            (embedded SQLite)
#   docker run ... -e STINT_DATABASE_URL=postgres://... stint                         (PostgreSQL; see compose.yaml)
# The entrypoint is the `stint` command, so `docker run --rm -v stint-data:/var/lib/stint stint keys create`
# works too.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
# `npm ci` runs the `prepare` script, which builds dist/; then drop the dev dependencies, and the
# pinned Node binary package, since this image runs on its own Node 24.
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/node

FROM node:24-bookworm-slim
# git for checkouts and patches, ssh for git@ remotes, tini to reap agent processes as PID 1,
# bubblewrap to isolate agent commands where the container runtime allows user namespaces.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates tini bubblewrap \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/node_modules ./node_modules
RUN ln -s /app/bin/stint.cjs /usr/local/bin/stint \
 && mkdir -p /var/lib/stint && chown node:node /var/lib/stint
ENV NODE_ENV=production \
    STINT_HOST=0.0.0.0 \
    STINT_PORT=8080 \
    STINT_DATA_DIR=/var/lib/stint
USER node
VOLUME ["/var/lib/stint"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.STINT_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["tini", "--", "node", "/app/dist/cli/main.js"]
CMD ["serve"]
