// The local monitor's materialisers for the failure path: EventBridge buses, rules, targets,
// archives, SQS queues and their policies, and Lambda permissions for events.amazonaws.com.
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { LocalMonitor, type LocalServices } from "../../../local/monitor/monitor";

function fakeServices() {
  const calls: [string, ...unknown[]][] = [];
  const record = (name: string, answer?: (...a: any[]) => unknown) => (...args: unknown[]) => {
    calls.push([name, ...args]);
    return answer?.(...args);
  };
  const arn = "arn:aws:events:us-east-1:000000000000";
  const services = {
    eventbridge: {
      createEventBus: record("createEventBus", (name: string) => `${arn}:event-bus/${name}`),
      putRule: record("putRule", (r: any) => `${arn}:rule/${r.eventBusName === "default" ? "" : `${r.eventBusName}/`}${r.name}`),
      putTarget: record("putTarget"),
      createArchive: record("createArchive", (a: any) => `${arn}:archive/${a.name}`),
      addLambdaPermission: record("addLambdaPermission"),
    },
    sqs: {
      createQueue: record("createQueue", (name: string) => ({ url: `http://127.0.0.1:1/000000000000/${name}`, arn: `arn:aws:sqs:us-east-1:000000000000:${name}` })),
      setQueuePolicy: record("setQueuePolicy"),
    },
    apigateway: { addLambdaPermission: record("apigateway.addLambdaPermission") },
  } as unknown as LocalServices;
  return { services, calls };
}

const resource = (type: string, name: string, inputs: Record<string, unknown>) => ({ type, name, inputs, custom: true }) as pulumi.runtime.MockResourceArgs;

describe("local/monitor: the failure path's resources", () => {
  it("materialises a bus, its rule, target and archive, a queue and its policy, with the state AWS returns", async () => {
    const { services, calls } = fakeServices();
    const m = new LocalMonitor(services, "dev");
    const bus = await m.newResource(resource("aws:cloudwatch/eventBus:EventBus", "jobs-failures", {}));
    expect(bus.state.name).to.match(/^jobs-failures-[0-9a-f]{7}$/);
    expect(bus.state.arn).to.equal(`arn:aws:events:us-east-1:000000000000:event-bus/${bus.state.name}`);
    const pattern = JSON.stringify({ source: ["lambda"] });
    const rule = await m.newResource(resource("aws:cloudwatch/eventRule:EventRule", "jobs-failures-rule", { eventBusName: bus.state.name, eventPattern: pattern }));
    expect(rule.state.arn).to.equal(`arn:aws:events:us-east-1:000000000000:rule/${bus.state.name}/${rule.state.name}`);
    const queue = await m.newResource(resource("aws:sqs/queue:Queue", "jobs-failures-dlq", { sqsManagedSseEnabled: true, messageRetentionSeconds: 1209600 }));
    expect(queue.state.url).to.match(/^http:\/\/127\.0\.0\.1:1\/000000000000\/jobs-failures-dlq-[0-9a-f]{7}$/);
    expect(queue.id).to.equal(queue.state.url);
    expect(calls.find((c) => c[0] === "createQueue")!.slice(2)).to.deep.equal([{ MessageRetentionPeriod: "1209600", SqsManagedSseEnabled: "true" }]);
    await m.newResource(
      resource("aws:cloudwatch/eventTarget:EventTarget", "jobs-failures-target", {
        rule: rule.state.name,
        eventBusName: bus.state.name,
        arn: "arn:aws:lambda:us-east-1:000000000000:function:rec",
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 3600 },
        deadLetterConfig: { arn: queue.state.arn },
      }),
    );
    const put = calls.find((c) => c[0] === "putTarget")!;
    expect(put[1]).to.equal(rule.state.name);
    expect(put[2]).to.equal(bus.state.name);
    expect(put[3]).to.deep.include({ arn: "arn:aws:lambda:us-east-1:000000000000:function:rec", deadLetterArn: queue.state.arn, retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 3600 } });
    const archive = await m.newResource(resource("aws:cloudwatch/eventArchive:EventArchive", "jobs-failures-archive", { eventSourceArn: bus.state.arn, eventPattern: pattern, retentionDays: 7 }));
    expect(archive.state.arn).to.equal(`arn:aws:events:us-east-1:000000000000:archive/${archive.state.name}`);
    expect(archive.state.name.length).to.be.at.most(48);
    await m.newResource(resource("aws:sqs/queuePolicy:QueuePolicy", "jobs-failures-dlq-policy", { queueUrl: queue.state.url, policy: "{}" }));
    expect(calls.find((c) => c[0] === "setQueuePolicy")).to.deep.equal(["setQueuePolicy", queue.state.url, "{}"]);
    await m.newResource(resource("aws:lambda/permission:Permission", "p", { action: "lambda:InvokeFunction", function: "rec", principal: "events.amazonaws.com", sourceArn: rule.state.arn }));
    expect(calls.find((c) => c[0] === "addLambdaPermission")).to.deep.equal(["addLambdaPermission", "rec", rule.state.arn]);
  });

  it("refuses what the local cloud cannot do, naming it: schedules, unsupported target kinds, FIFO queues, other principals", async () => {
    const m = new LocalMonitor(fakeServices().services, "dev");
    const refused = async (type: string, inputs: Record<string, unknown>) => (await m.newResource(resource(type, "x", inputs)).catch((e) => e)) as Error;
    expect((await refused("aws:cloudwatch/eventRule:EventRule", { scheduleExpression: "rate(1 minute)" })).message).to.match(/runs no schedules/);
    expect((await refused("aws:cloudwatch/eventTarget:EventTarget", { rule: "r", arn: "a", inputTransformer: {} })).message).to.match(/does not support inputTransformer/);
    expect((await refused("aws:sqs/queue:Queue", { fifoQueue: true })).message).to.match(/standard queues only/);
    expect((await refused("aws:lambda/permission:Permission", { action: "lambda:InvokeFunction", function: "f", principal: "s3.amazonaws.com" })).message).to.match(/apigateway.amazonaws.com and events.amazonaws.com only/);
  });
});
