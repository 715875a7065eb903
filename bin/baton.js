#!/usr/bin/env node
// The `baton` command. The TypeScript sources are compiled to dist/ by
// `npm ci` (the `prepare` script) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('baton: dist/ is missing — run `npm run build` (or `npm ci`) first.');
  process.exit(1);
}
await import(entry.href);
