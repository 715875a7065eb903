/**
 * The one error model of the API. Domain code throws these; the protocol
 * layer turns each into an envelope with its code. Anything else that reaches
 * the edge is an unhandled exception (-4) and its details stay in the log.
 */

/** The general codes of the spec ("General system errors are identified by number less than 0"). */
export const GeneralCode = {
  general: -1,
  parameter: -2,
  retryable: -3,
  unhandled: -4,
  invalidKey: -5,
} as const;

/** Base class: an error whose message is safe to show to the client. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** -2: "one of the supplied parameters is invalid". */
export class ParameterError extends ApiError {
  constructor(message: string) {
    super(GeneralCode.parameter, message);
  }
}

/** -1: an error not categorised elsewhere (e.g. a suspended customer). */
export class GeneralError extends ApiError {
  constructor(message: string) {
    super(GeneralCode.general, message);
  }
}

/** -3: the call can probably be retried (database busy or unreachable). */
export class RetryableError extends ApiError {
  constructor(message: string) {
    super(GeneralCode.retryable, message);
  }
}

/** -5: wrong or missing `customer` / `key` — the same text whichever was wrong. */
export class AuthError extends ApiError {
  constructor(message = 'invalid customer key') {
    // The refusal a flood of wrong keys makes; it is answered, never logged: no stack trace to capture.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(GeneralCode.invalidKey, message);
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
  }
}

/** A function-specific code from the spec (positive numbers). */
export class FunctionError extends ApiError {
  constructor(code: number, message: string) {
    if (code <= 0) throw new RangeError(`function codes are positive, got ${code}`);
    super(code, message);
  }
}
