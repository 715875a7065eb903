import { describe, expect, it } from 'vitest';
import { FunctionError } from '../errors.js';
import { parseEstimatedCallers, roundUpToQuarterHour } from './reservations.js';

describe('roundUpToQuarterHour', () => {
  it.each([
    [1, 15],
    [14, 15],
    [15, 15],
    [16, 30],
    [30, 30],
    [61, 75],
    [1440, 1440],
  ])('rounds %i minutes up to %i', (minutes, rounded) => {
    expect(roundUpToQuarterHour(minutes)).toBe(rounded);
  });
});

describe('parseEstimatedCallers', () => {
  it('treats an empty value as not supplied', () => {
    expect(parseEstimatedCallers(undefined, 'estimatedCallers')).toBeNull();
    expect(parseEstimatedCallers(' ', 'estimatedCallers')).toBeNull();
  });

  it('reads a whole number', () => {
    expect(parseEstimatedCallers('25', 'estimatedCallers')).toBe(25);
  });

  it.each(['0', '-3', '2.5', 'many', '100001'])('rejects "%s" with code 3 naming the parameter', (text) => {
    let thrown: unknown;
    try {
      parseEstimatedCallers(text, 'estimatedCallers2');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FunctionError);
    expect((thrown as FunctionError).code).toBe(3);
    expect((thrown as FunctionError).message).toContain('estimatedCallers2');
  });
});
