/**
 * Values that are there now or later. A step of the hot path (an answer
 * from the exact cache, authentication from cached rows) returns its value
 * when it has it and a promise only when it must wait (the database), so a fully cached request completes in the turn it
 * arrived in, with no promise allocated and no microtask queued. The steps
 * are still written once, in one order; `andThen` chains them either way.
 *
 * A function returning a MaybePromise may throw synchronously where an async
 * function would reject: callers handle both (an `await` inside an async
 * function does so by itself).
 */

/** A value, or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** Whether `value` is still to come. */
export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return value instanceof Promise;
}

/** `next(value)`: at once when `value` is there, else once it resolves (a rejection passes through). */
export function andThen<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}
