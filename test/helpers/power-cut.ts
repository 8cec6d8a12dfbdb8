/**
 * Preload for a spawned holy (`node --import …/power-cut.js`): every rename onto a file named `.env` fails with EIO,
 * as a power cut between the temp write and the rename would. It patches only the child process it is loaded into,
 * so no test shares module state with another.
 */
import fs from 'node:fs';
import { basename } from 'node:path';
import { syncBuiltinESMExports } from 'node:module';

const rename = fs.promises.rename;
fs.promises.rename = async (from, to) => {
  if (basename(String(to)) === '.env') throw Object.assign(new Error('simulated power cut'), { code: 'EIO' });
  return rename(from, to);
};
// Named imports of node:fs/promises (`import { rename }`) see the patched function only after this.
syncBuiltinESMExports();
