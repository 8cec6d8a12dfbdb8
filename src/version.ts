/** holy's version: package.json's, read once (the built files sit two folders below it: dist/src/, dist/bundle/). */
import { createRequire } from 'node:module';

export const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
