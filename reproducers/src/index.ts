export { REPRODUCERS, REPRODUCERS_DIR, DEMO_FIXTURE_SCRIPT, shQuote, type ReproducerDefinition } from './reproducer-catalog.js';
export { prepareInitramfs, findReproducer, buildReproducerBinary, ReproducerError } from './initramfs-cache.js';
export { hostModulesTarball, moduleClosure, VFIO_MODULES } from './host-modules.js';
