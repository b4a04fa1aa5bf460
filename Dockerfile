# One image for every kbisect service; docker-compose.yml picks the role by command.
FROM node:20-bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      git ca-certificates \
      qemu-system-x86 ipxe-qemu ipmitool busybox-static cpio \
      build-essential gcc-11 ccache flex bison bc libelf-dev libssl-dev xz-utils \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/kbisect
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY apps ./apps
COPY packages ./packages
COPY kernel-configs ./kernel-configs
COPY reproducers ./reproducers
RUN npm ci --no-audit --no-fund && npm prune --omit=dev || true
USER node
