# One image for every kbisect service; docker-compose.yml picks the role by command.
FROM node:20-bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      git ca-certificates bubblewrap \
      qemu-system-x86 ipxe-qemu ipmitool busybox-static cpio \
      build-essential gcc-11 ccache flex bison bc libelf-dev libssl-dev xz-utils \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kbisect-sandbox
# Builds, command probes and get_maintainer.pl run in bwrap (packages/sandbox). As USER node the
# sandbox maps node's own uid in a user namespace; run as root, it drops to kbisect-sandbox instead.
# The container needs user namespaces and its own /proc mounts: see deploy/README.md.
WORKDIR /opt/kbisect
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY apps ./apps
COPY packages ./packages
COPY kernel-configs ./kernel-configs
COPY reproducers ./reproducers
RUN npm ci --no-audit --no-fund && npm prune --omit=dev || true
# Named volumes start as a copy of these: owned by node, the user every kbisect service runs as.
RUN mkdir -p /var/cache/kbisect /var/cache/ccache /var/lib/kbisect-store && chown node:node /var/cache/kbisect /var/cache/ccache /var/lib/kbisect-store
USER node
