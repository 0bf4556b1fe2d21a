/**
 * The AWS SDK clients the local DynamoDB uses on its own endpoint, as any client would: the one it
 * hands out (`client`), and the TTL sweep's, whose requests carry the `TTL_DELETE_HEADER` marker.
 */
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../types";
import { TTL_DELETE_HEADER } from "./writes";

/** Whether `err` is the SDK's error of that name (`ResourceNotFoundException`, …). */
export function isNamed(err: unknown, name: string): boolean {
  return (err as Error | undefined)?.name === name;
}

/** A client of the endpoint (credentials and region of the local cloud). */
export function endpointClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });
}

/** A client of the endpoint whose requests carry the TTL sweep's marker header (see TTL_DELETE_HEADER). */
export function ttlSweepClient(endpoint: string): DynamoDBClient {
  const client = endpointClient(endpoint);
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers[TTL_DELETE_HEADER] = "1";
      return next(args);
    },
    { step: "build", name: "localTtlDeleteMarker" },
  );
  return client;
}

/** Whether the table exists, asked through the endpoint. */
export async function tableExists(client: DynamoDBClient, name: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
    return true;
  } catch (err) {
    if (isNamed(err, "ResourceNotFoundException")) return false;
    throw err;
  }
}
