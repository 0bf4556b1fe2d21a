/**
 * The errors of the local Lambda API: `LambdaApiError` carries the code (`x-amzn-ErrorType`) and
 * HTTP status Lambda answers with; `serviceStopped()` is what every call after `stop()` gets.
 */

/** An error of the Lambda API (thrown by `invoke`, answered by the HTTP API). */
export class LambdaApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = code;
  }
}

/** The error of a call made after the service stopped. */
export function serviceStopped(): LambdaApiError {
  return new LambdaApiError("ServiceException", "The Lambda service is stopped", 500);
}
