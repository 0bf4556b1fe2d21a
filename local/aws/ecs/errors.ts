/** The local ECS service's API errors, as the ECS JSON protocol names them (the `__type` of the answer). */
import { AwsApiError } from "../protocols/apiError";

/** An ECS API error: `code` is the `__type` the SDKs read (`InvalidParameterException`, `ClusterNotFoundException`, ...). */
export class EcsError extends AwsApiError {}

export const invalidParameter = (message: string): EcsError => new EcsError("InvalidParameterException", message);
export const clientException = (message: string): EcsError => new EcsError("ClientException", message);
