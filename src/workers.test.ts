/** The V8 options the cluster's workers are started with, and that the operator's own win. */
import { describe, expect, it } from 'vitest';
import { workerExecArgv } from './workers.js';

const ours = ['--max-semi-space-size=4', '--heap-growing-percent=50'];

describe('the workers’ node arguments', () => {
  it("adds the young-generation bound and the old generation's growth to the primary's own arguments", () => {
    expect(workerExecArgv([])).toEqual(ours);
    expect(workerExecArgv(['--cpu-prof', '--enable-source-maps'], '--no-warnings')).toEqual([
      '--cpu-prof',
      '--enable-source-maps',
      ...ours,
    ]);
  });

  it('leaves each to the operator who set it in node’s arguments or NODE_OPTIONS, in either spelling', () => {
    expect(workerExecArgv(['--max-semi-space-size=16'])).toEqual([
      '--max-semi-space-size=16',
      '--heap-growing-percent=50',
    ]);
    expect(workerExecArgv([], '--max_semi_space_size=8')).toEqual(['--heap-growing-percent=50']);
    expect(workerExecArgv([], '--inspect --max-semi-space-size 8')).toEqual(['--heap-growing-percent=50']);
    // Node refuses --heap-growing-percent in NODE_OPTIONS: the operator's is one of node's arguments.
    expect(workerExecArgv(['--heap_growing_percent=200'])).toEqual([
      '--heap_growing_percent=200',
      '--max-semi-space-size=4',
    ]);
    expect(workerExecArgv(['--heap-growing-percent=0', '--max-semi-space-size=2'])).toEqual([
      '--heap-growing-percent=0',
      '--max-semi-space-size=2',
    ]);
    // A longer option that only starts with the same letters is not the same option.
    expect(workerExecArgv(['--max-semi-space-sizes=1'])).toEqual(['--max-semi-space-sizes=1', ...ours]);
  });
});
