/** The API operations that answer a `.waitForTaskToken` Task: SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat. */
import { optionalString, requiredString } from "./shared";
import type { SfnOperation } from "./shared";

const sendTaskSuccess: SfnOperation = (sfn, body) => {
  sfn.sendTaskSuccess(requiredString(body, "taskToken"), optionalString(body, "output") as string);
  return {};
};

const sendTaskFailure: SfnOperation = (sfn, body) => {
  sfn.sendTaskFailure(requiredString(body, "taskToken"), { error: optionalString(body, "error"), cause: optionalString(body, "cause") });
  return {};
};

const sendTaskHeartbeat: SfnOperation = (sfn, body) => {
  sfn.sendTaskHeartbeat(requiredString(body, "taskToken"));
  return {};
};

export const taskTokenOperations: Record<string, SfnOperation> = {
  SendTaskSuccess: sendTaskSuccess,
  SendTaskFailure: sendTaskFailure,
  SendTaskHeartbeat: sendTaskHeartbeat,
};
