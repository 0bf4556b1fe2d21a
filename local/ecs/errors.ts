/** An ECS API error: `code` is the `__type` the SDKs read (`InvalidParameterException`, `ClusterNotFoundException`, ...). */
export class EcsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export const invalidParameter = (message: string): EcsError => new EcsError("InvalidParameterException", message);
export const clientException = (message: string): EcsError => new EcsError("ClientException", message);
