/** What bin/holy.js loads: the program and the real-world Ctx (bundled into dist/bundle/entry.js). */
export { main } from './cli.js';
export { processCtx } from './context.js';
export { STOP_SIGNALS, stopReason } from './errors.js';
export { removeTempFiles } from './adapters/temp-files.js';
