/**
 * The local SQS's errors. Each has the JSON protocol's code (`QueueDoesNotExist`, answered as
 * `com.amazonaws.sqs#<code>`) and the query protocol's (`AWS.SimpleQueueService.NonExistentQueue`),
 * which the JSON protocol also sends in `x-amzn-query-error` for older SDKs.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html
 */
import { AwsApiError } from "../protocols/apiError";

export class SqsError extends AwsApiError {
  constructor(
    code: string,
    /** The query protocol's code (`AWS.SimpleQueueService.NonExistentQueue`, ...). */
    readonly queryCode: string,
    message: string,
    statusCode = 400,
  ) {
    super(code, message, statusCode);
  }
}

/** The query protocol's code of an error (an `AwsApiError` that is not an `SqsError` has one code for both). */
export const queryCodeOf = (error: AwsApiError): string => (error instanceof SqsError ? error.queryCode : error.code);

/** The same code in both protocols. */
const plain = (code: string, message: string, statusCode?: number) => new SqsError(code, code, message, statusCode);

export const nonExistent = (q: string) => new SqsError("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", `The specified queue does not exist: ${q}`);
export const invalid = (message: string) => plain("InvalidParameterValue", message);
export const missingParameter = (name: string) => plain("MissingParameter", `The request must contain the parameter ${name}.`);
export const invalidAttributeName = (name: string) => plain("InvalidAttributeName", `Unknown Attribute ${name}.`);
export const invalidReceiptHandle = () => plain("ReceiptHandleIsInvalid", "The input receipt handle is invalid.");
export const unavailable = () => plain("ServiceUnavailable", "The local SQS is stopped", 503);
export const unsupportedOperation = (target: string) => new SqsError("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", `${target} is not supported by the local SQS`);
