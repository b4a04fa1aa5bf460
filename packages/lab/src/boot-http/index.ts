export { BootFileServer, type BootFileGrants, type BootGrant, type BootGrantRequest } from './boot-file-server.js';
export { bootHttpConfigFrom, DEFAULT_BOOT_HTTP, QEMU_USER_NET_HOST, type BootHttpConfig } from './boot-http-config.js';
export { BOOT_FILE_NAMES, bootFetchMetrics, formatBootFetch, type BootFetch, type BootFileName } from './boot-fetch.js';
export { isLoopback, unreachableBootServer } from './unreachable-boot-server.js';
