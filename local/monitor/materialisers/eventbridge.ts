/** EventBridge buses, rules (event patterns; no schedules), Lambda targets and archives, on the local EventBridge. */
import type { MaterialiserContext, Materialisers } from "./context";

const UNSUPPORTED_TARGET_KINDS = ["inputTransformer", "ecsTarget", "batchTarget", "kinesisTarget", "sqsTarget", "httpTarget", "runCommandTargets", "redshiftTarget", "sagemakerPipelineTarget", "appsyncTarget"];

export function eventBridgeMaterialisers(ctx: MaterialiserContext): Materialisers {
  const { eventbridge } = ctx.services;
  return {
    "aws:cloudwatch/eventBus:EventBus": async (name, inputs) => {
      const bus = ctx.physicalName(name, inputs, 256);
      const busArn = eventbridge.createEventBus(bus);
      return { id: bus, state: { name: bus, arn: busArn } };
    },
    "aws:cloudwatch/eventRule:EventRule": async (name, inputs) => {
      if (inputs.scheduleExpression) throw new Error(`rule ${name}: the local EventBridge runs no schedules`);
      const rule = ctx.physicalName(name, inputs, 64);
      const bus = inputs.eventBusName ?? "default";
      const ruleArn = eventbridge.putRule({ name: rule, eventBusName: bus, eventPattern: inputs.eventPattern, state: inputs.state ?? (inputs.isEnabled === false ? "DISABLED" : "ENABLED"), description: inputs.description });
      return { id: bus === "default" ? rule : `${bus}/${rule}`, state: { name: rule, arn: ruleArn, eventBusName: bus } };
    },
    "aws:cloudwatch/eventTarget:EventTarget": async (name, inputs) => {
      for (const unsupported of UNSUPPORTED_TARGET_KINDS) {
        if (inputs[unsupported] !== undefined) throw new Error(`target ${name}: the local EventBridge does not support ${unsupported}`);
      }
      const targetId = inputs.targetId ?? ctx.physicalName(name, {}, 64);
      const bus = inputs.eventBusName ?? "default";
      eventbridge.putTarget(inputs.rule, bus, {
        id: targetId,
        arn: inputs.arn,
        roleArn: inputs.roleArn,
        input: inputs.input,
        inputPath: inputs.inputPath,
        retryPolicy: inputs.retryPolicy,
        deadLetterArn: inputs.deadLetterConfig?.arn,
      });
      return { id: `${bus}-${inputs.rule}-${targetId}`, state: { targetId, eventBusName: bus } };
    },
    "aws:cloudwatch/eventArchive:EventArchive": async (name, inputs) => {
      const archive = ctx.physicalName(name, inputs, 48);
      const archiveArn = eventbridge.createArchive({ name: archive, eventSourceArn: inputs.eventSourceArn, eventPattern: inputs.eventPattern, retentionDays: inputs.retentionDays, description: inputs.description });
      return { id: archive, state: { name: archive, arn: archiveArn } };
    },
  };
}
