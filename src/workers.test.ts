/** The V8 options the cluster's workers are started with, and that the operator's own win. */
import { describe, expect, it } from 'vitest';
import { workerExecArgv } from './workers.js';

describe('the workers’ node arguments', () => {
  it("adds the young-generation bound to the primary's own arguments", () => {
    expect(workerExecArgv([])).toEqual(['--max-semi-space-size=4']);
    expect(workerExecArgv(['--cpu-prof', '--enable-source-maps'], '--no-warnings')).toEqual([
      '--cpu-prof',
      '--enable-source-maps',
      '--max-semi-space-size=4',
    ]);
  });

  it('leaves it to the operator who set it in node’s arguments or NODE_OPTIONS, in either spelling', () => {
    expect(workerExecArgv(['--max-semi-space-size=16'])).toEqual(['--max-semi-space-size=16']);
    expect(workerExecArgv([], '--max_semi_space_size=8')).toEqual([]);
    expect(workerExecArgv([], '--inspect --max-semi-space-size 8')).toEqual([]);
    // A longer option that only starts with the same letters is not the same option.
    expect(workerExecArgv(['--max-semi-space-sizes=1'])).toEqual([
      '--max-semi-space-sizes=1',
      '--max-semi-space-size=4',
    ]);
  });
});
