/** The errors the client throws. */

/** The API answered with a non-zero code. `message` is the server's text. */
export class BatonApiError extends Error {
  override readonly name = 'BatonApiError';

  constructor(
    /** The function called, e.g. `addPerson`. */
    readonly functionName: string,
    /** The envelope's code: negative for general errors (-2 parameter, -3 retryable, -5 key), positive for the function's own. */
    readonly code: number,
    message: string,
  ) {
    super(message);
  }

  /** True for -3: the server says the call can be retried. */
  get retryable(): boolean {
    return this.code === -3;
  }
}

/** Why a request got no envelope. */
export type NetworkFailure = 'timeout' | 'network' | 'aborted' | 'bad-response';

/** The request failed before an envelope came back: unreachable, timed out, aborted, or not an envelope. */
export class BatonNetworkError extends Error {
  override readonly name = 'BatonNetworkError';

  constructor(
    readonly functionName: string,
    readonly failure: NetworkFailure,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
  }

  /** The HTTP status, when a response came that was not an envelope. */
  readonly status: number | undefined;
}
