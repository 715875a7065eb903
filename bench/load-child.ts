/**
 * Runs one load job in its own process (`bench/load.ts`, the job as its
 * argument), so the load generator never shares the measuring script's
 * event loop; resolves with what it measured.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { LoadJob, LoadResult } from './load.js';

const root = new URL('..', import.meta.url).pathname;

export function loadInChild(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'load.ts'), JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(out))));
  });
}
