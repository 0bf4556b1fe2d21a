/**
 * Lambda functions (their bundle text from the code archive), async invoke configs, event source
 * mappings and invoke permissions (API Gateway's and EventBridge's), on the local Lambda.
 */
import * as crypto from "crypto";
import { LOCAL_REGION } from "../../aws/types";
import { arn, type MaterialiserContext, type Materialisers } from "./context";

/** Reads the bundle text out of a Lambda's `code` (an AssetArchive with `index.js`). */
async function bundleText(code: any, functionName: string): Promise<{ file: string; text: string }> {
  const assets = code && (await code.assets);
  if (!assets) throw new Error(`function ${functionName}: the local cloud runs functions whose code is an AssetArchive of StringAssets`);
  for (const [file, asset] of Object.entries<any>(assets)) {
    const text = asset && (await asset.text);
    if (typeof text === "string") return { file, text };
  }
  throw new Error(`function ${functionName}: no StringAsset in its code archive`);
}

export function lambdaMaterialisers(ctx: MaterialiserContext): Materialisers {
  const s = ctx.services;
  return {
    "aws:lambda/function:Function": async (name, inputs) => {
      const fn = ctx.physicalName(name, inputs);
      const fnArn = arn("lambda", `function:${fn}`);
      const { text } = await bundleText(inputs.code, fn);
      await s.lambda.createFunction({
        name: fn,
        arn: fnArn,
        code: text,
        handler: inputs.handler ?? "index.handler",
        environment: inputs.environment?.variables ?? {},
        timeoutSeconds: inputs.timeout ?? 3,
        memorySize: inputs.memorySize ?? 128,
        ...(inputs.architectures ? { architectures: inputs.architectures } : {}),
      });
      return {
        id: fn,
        state: {
          name: fn,
          arn: fnArn,
          qualifiedArn: `${fnArn}:$LATEST`,
          version: "$LATEST",
          invokeArn: `arn:aws:apigateway:${LOCAL_REGION}:lambda:path/2015-03-31/functions/${fnArn}/invocations`,
        },
      };
    },
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": async (name, inputs) => {
      s.lambda.putEventInvokeConfig(inputs.functionName, {
        maximumRetryAttempts: inputs.maximumRetryAttempts ?? 2,
        maximumEventAgeInSeconds: inputs.maximumEventAgeInSeconds ?? 21600,
        onFailureDestination: inputs.destinationConfig?.onFailure?.destination,
      });
      return { id: inputs.functionName, state: {} };
    },
    "aws:lambda/eventSourceMapping:EventSourceMapping": async (name, inputs) => {
      const uuid = crypto.createHash("sha256").update(`${ctx.stack}/${name}`).digest("hex").replace(/^(.{8})(.{4})(.{3})(.{3})(.{12}).*$/, "$1-$2-4$3-a$4-$5");
      s.lambda.createEventSourceMapping({
        uuid,
        eventSourceArn: inputs.eventSourceArn,
        functionName: inputs.functionName,
        batchSize: inputs.batchSize,
        startingPosition: inputs.startingPosition,
        filterPatterns: (inputs.filterCriteria?.filters ?? []).map((f: { pattern: string }) => f.pattern),
        bisectBatchOnFunctionError: inputs.bisectBatchOnFunctionError,
        maximumRetryAttempts: inputs.maximumRetryAttempts,
        maximumRecordAgeInSeconds: inputs.maximumRecordAgeInSeconds,
        onFailureDestination: inputs.destinationConfig?.onFailure?.destinationArn,
        parallelizationFactor: inputs.parallelizationFactor,
        functionResponseTypes: inputs.functionResponseTypes,
        enabled: inputs.enabled,
      });
      return { id: uuid, state: { uuid, functionArn: inputs.functionName, state: inputs.enabled === false ? "Disabled" : "Enabled" } };
    },
    "aws:lambda/permission:Permission": async (name, inputs) => {
      if (inputs.principal === "apigateway.amazonaws.com" && inputs.action === "lambda:InvokeFunction") {
        s.apigateway.addLambdaPermission(inputs.function, inputs.sourceArn ?? "*");
      } else if (inputs.principal === "events.amazonaws.com" && inputs.action === "lambda:InvokeFunction") {
        s.eventbridge.addLambdaPermission(inputs.function, inputs.sourceArn ?? "*");
      } else {
        throw new Error(`permission ${name}: the local cloud knows lambda:InvokeFunction for apigateway.amazonaws.com and events.amazonaws.com only`);
      }
      return { id: ctx.physicalName(name, inputs), state: {} };
    },
  };
}
