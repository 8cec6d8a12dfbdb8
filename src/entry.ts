/** What bin/holy.js loads: the program and the real-world Ctx (bundled into dist/bundle/entry.js). */
export { main } from './cli.js';
export { deliverHangup, processCtx, removeTempFiles } from './context.js';
export { STOP_SIGNALS, stopReason } from './cli.js';
