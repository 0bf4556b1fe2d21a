/**
 * One helper per store: a transition (transitions.ts) becomes its states. store dynamodb: a direct
 * conditional `updateItem`; store s3: an invoke of the recorder and a Choice on its answer.
 */
import type { JobStatus } from "../../lambdas/shared/types";
import type { AslCatcher, AslState, JsonObject } from "./asl";
import { appliedChoiceName, CONDITION_FAILED_ERROR, DYNAMODB_TRANSIENT_ERRORS, DYNAMODB_UPDATE_ITEM, INVALID_RECORDER_EVENT, LAMBDA_INVOKE, STATE, WRITE_RETRY } from "./constants";
import { retrier } from "./retrier";
import { NOW, type Transition } from "./transitions";

const valueName = (status: JobStatus): string => `:${status.toLowerCase().replace(/_(\w)/g, (_, c: string) => c.toUpperCase())}`;

/** store dynamodb: one `updateItem` Task; a rejected condition is caught and goes to Discarded. */
export function dynamoDbRecordStates(t: Transition, tableName: string): Record<string, AslState> {
  const names: JsonObject = { "#status": "status", "#updatedAt": "updatedAt", "#version": "version" };
  const values: JsonObject = { [valueName(t.from)]: { S: t.from }, [valueName(t.to)]: { S: t.to }, ":now": NOW, ":one": { N: "1" } };
  const sets = ["#status = " + valueName(t.to), "#updatedAt = :now"];
  for (const [attribute, template] of t.set) {
    names[`#${attribute}`] = attribute;
    if (template === NOW) {
      sets.push(`#${attribute} = :now`);
    } else {
      values[`:${attribute}`] = template;
      sets.push(`#${attribute} = :${attribute}`);
    }
  }
  let allowed = `#status = ${valueName(t.from)}`;
  if (t.beforeDeadline) {
    names["#deadline"] = "deadline";
    allowed = `(${allowed} AND #deadline > :now)`;
  }
  const repeated = `(#status = ${valueName(t.to)} AND #updatedAt = :now)`;
  return {
    [t.state]: {
      Type: "Task",
      Comment: `${t.from} -> ${t.to}, unless the record moved on (or repeats this very write)`,
      Resource: DYNAMODB_UPDATE_ITEM,
      Parameters: {
        TableName: tableName,
        Key: { pk: { "S.$": "$.jobId" } },
        UpdateExpression: `SET ${sets.join(", ")} ADD #version :one`,
        ConditionExpression: `${allowed} OR ${repeated}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
      ResultPath: null,
      Retry: [retrier(DYNAMODB_TRANSIENT_ERRORS, WRITE_RETRY)],
      Catch: [
        { ErrorEquals: [CONDITION_FAILED_ERROR], Next: STATE.Discarded, ResultPath: null },
        { ErrorEquals: ["States.ALL"], Next: STATE.RecordingFailed, ResultPath: null },
      ],
      // The outcome's write ends the execution itself: a Succeed state after it would be one more
      // billed state transition per job (https://aws.amazon.com/step-functions/pricing/).
      ...(t.next === STATE.Recorded ? { End: true as const } : { Next: t.next }),
    },
  };
}

/** store s3: an invoke of the recorder, then a Choice on its `applied` answer. */
export function recorderRecordStates(t: Transition, recorderFunctionArn: string): Record<string, AslState> {
  const choice = appliedChoiceName(t.state);
  return {
    [t.state]: {
      Type: "Task",
      Comment: `${t.from} -> ${t.to} by the recorder, unless the record moved on (or repeats this very write)`,
      Resource: LAMBDA_INVOKE,
      Parameters: {
        FunctionName: recorderFunctionArn,
        Payload: { "jobId.$": "$.jobId", transition: t.to, "at.$": "$$.State.EnteredTime", ...t.payload },
      },
      ResultSelector: { "applied.$": "$.Payload.applied" },
      ResultPath: "$.record",
      // Anything but a malformed request is worth retrying (a store that is briefly down, S3's
      // SlowDown, Lambda's own errors): the recorder repeats the same write for the same `at`.
      Retry: [{ ErrorEquals: [INVALID_RECORDER_EVENT], MaxAttempts: 0 }, retrier(["States.ALL"], WRITE_RETRY)],
      Catch: [{ ErrorEquals: ["States.ALL"], Next: STATE.RecordingFailed, ResultPath: null }],
      Next: choice,
    },
    [choice]: {
      Type: "Choice",
      Choices: [{ Variable: "$.record.applied", BooleanEquals: true, Next: t.next }],
      Default: STATE.Discarded,
    },
  };
}

/** Whether any state goes to `name` (Next, a Choice, a Default or a Catch). */
export function referenced(states: Record<string, AslState>, name: string): boolean {
  return Object.values(states).some((state) => {
    const s = state as AslState & { Next?: string; Default?: string; Choices?: { Next: string }[]; Catch?: AslCatcher[] };
    return s.Next === name || s.Default === name || (s.Choices ?? []).some((c) => c.Next === name) || (s.Catch ?? []).some((c) => c.Next === name);
  });
}
