# syntax=docker/dockerfile:1
#
# One Dockerfile for the five GAS services. Build one image per service:
#
#   docker build --build-arg SERVICE=web -t gas/web .        (web, annotator, notifier, archiver, thawer)
#
# Why one root file with ARG SERVICE rather than five generated ones: the services differ
# only in which workspace package is deployed, so one file cannot drift from itself, the
# build context is the repo root either way (pnpm needs the lockfile and the workspace
# packages), and docker-compose.yml / CI pass SERVICE as a build argument.
#
# Stages:
#   workspace  every workspace dependency installed from the lockfile (cached on the lockfile)
#   deploy     `pnpm deploy` of @gas/$SERVICE with production dependencies only, internal
#              packages (TypeScript sources) copied in, e.g. the annotation engine for the annotator
#   devtools   the full workspace: runs the devcloud stand-ins and provisioning in docker-compose
#   runtime    (default) node:22-bookworm-slim + the deployed service, as the unprivileged
#              `node` user, TypeScript run by tsx inside node itself (one process)
#
# Not in any layer: secrets (configuration comes from the environment at run time), tests,
# .env files, and the reference bundle (the annotator reads REFERENCE_BUNDLE_URI from S3 at
# start and caches it under /var/cache/gas). See .dockerignore.

ARG NODE_IMAGE=node:22-bookworm-slim

# -----------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS workspace
# corepack provides exactly the pnpm pinned in package.json ("packageManager").
ENV PNPM_HOME=/pnpm \
    COREPACK_ENABLE_DOWNLOAD_PROMPT=0 \
    CI=true
ENV PATH=/pnpm:$PATH
RUN corepack enable
WORKDIR /repo
# Dependencies first: this layer is rebuilt only when the lockfile changes.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile

# -----------------------------------------------------------------------------
FROM workspace AS deploy
ARG SERVICE
# Fail early, with the reason, when SERVICE is missing or not one of the services.
RUN case "$SERVICE" in \
      web|annotator|notifier|archiver|thawer) ;; \
      *) echo "Build with --build-arg SERVICE=<web|annotator|notifier|archiver|thawer> (got '$SERVICE')." >&2; exit 1 ;; \
    esac
# --prefer-offline, not --offline: pnpm 9's deploy resolves the service's dependencies anew
# instead of reading the lockfile, so it needs the registry's package metadata, which neither
# `pnpm fetch` nor a frozen install caches (ERR_PNPM_NO_OFFLINE_META on a fresh machine). The
# tarballs still come from the store `pnpm fetch` filled; only missing metadata is fetched.
RUN pnpm --filter "@gas/$SERVICE" deploy --prod --prefer-offline /out
# tsx runs the TypeScript in the image, so it must be a production dependency of the service.
RUN test -f /out/src/server.ts || { echo "services/$SERVICE has no src/server.ts" >&2; exit 1; }; \
    test -d /out/node_modules/tsx || { echo "@gas/$SERVICE must list tsx in dependencies (not devDependencies)" >&2; exit 1; }
# The service name and its port (from the one list of ports) for the health probe.
RUN node -e "const r=require('/repo/packages/contracts/resources.json');require('node:fs').writeFileSync('/out/gas-service.json',JSON.stringify({service:process.argv[1],port:r.ports[process.argv[1]]}))" "$SERVICE"

# -----------------------------------------------------------------------------
FROM workspace AS devtools
# docker-compose runs the devcloud stand-ins (OIDC provider, Stripe) and the provisioning
# from here with `tsx tools/devcloud/src/...`; never used in AWS. The workspace stays
# root-owned and read-only for the node user; tsx is the workspace's own (no pnpm or
# corepack download at run time).
USER node
# State of the stand-ins and the local CA (a named volume takes this folder's owner).
RUN mkdir -p /home/node/data
ENTRYPOINT ["/repo/node_modules/.bin/tsx"]

# -----------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production \
    GAS_SERVICE=${SERVICE}
WORKDIR /app
# The code belongs to root and is read-only for the service user.
COPY --from=deploy /out /app
# Writable places: the reference bundle cache (annotator) and /tmp.
RUN mkdir -p /var/cache/gas && chown node:node /var/cache/gas
USER node
STOPSIGNAL SIGTERM
# GET /healthz on the service's port (PORT, else its port from resources.json), https when
# the service terminates TLS itself (TLS_CERT_FILE set, as web does locally). No curl in slim.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const s=require('/app/gas-service.json');const port=Number(process.env.PORT||s.port);const tls=Boolean(process.env.TLS_CERT_FILE);require(tls?'node:https':'node:http').get({host:'127.0.0.1',port,path:'/healthz',timeout:4000,rejectUnauthorized:false},(r)=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))"]
# Exec form: node is the process that receives SIGTERM (no shell in between); tsx is
# loaded into node rather than spawning a second process.
CMD ["node", "--import", "tsx", "src/server.ts"]
