/**
 * SQS's side of the query protocol (form-encoded `Action=…`, XML answers), which older CLIs such
 * as Debian's aws-cli 2.9 still speak: a request's parameters as the JSON protocol's input, and an
 * operation's JSON answer as the XML inside its `<ActionResult>`. The envelope is
 * ../protocols/query.ts's.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-xml.html
 */
import type * as http from "http";
import type { QueueMessageAttribute } from "../types";
import { queryList, toXml } from "../protocols/query";

/** A query-protocol request as the JSON protocol's input. */
export function queryToJson(params: URLSearchParams): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const key of ["QueueName", "QueueUrl", "MessageBody", "ReceiptHandle", "QueueNamePrefix"]) if (params.has(key)) body[key] = params.get(key);
  for (const key of ["MaxNumberOfMessages", "VisibilityTimeout", "WaitTimeSeconds", "DelaySeconds"]) if (params.has(key)) body[key] = Number(params.get(key));
  const attributes = queryList(params, "Attribute");
  if (attributes.length) body.Attributes = Object.fromEntries(attributes.map((a) => [a.get("Name"), a.get("Value")]));
  const names = queryList(params, "AttributeName").map((a) => a.get(""));
  if (names.length) body.AttributeNames = names;
  const messageAttributeNames = queryList(params, "MessageAttributeName").map((a) => a.get(""));
  if (messageAttributeNames.length) body.MessageAttributeNames = messageAttributeNames;
  const messageAttributes = queryList(params, "MessageAttribute");
  if (messageAttributes.length) {
    body.MessageAttributes = Object.fromEntries(messageAttributes.map((a) => [a.get("Name"), { DataType: a.get("Value.DataType"), StringValue: a.get("Value.StringValue") }]));
  }
  return body;
}

/** The input of a query request: its parameters, and the queue it is posted to (`/<account>/<name>`) when no `QueueUrl` is given. */
export function queryInput(params: URLSearchParams, req: http.IncomingMessage): Record<string, unknown> {
  const body = queryToJson(params);
  const pathname = new URL(req.url ?? "/", "http://x").pathname;
  if (!body.QueueUrl && /^\/\d{12}\/[^/]+$/.test(pathname)) body.QueueUrl = `http://x${pathname}`;
  return body;
}

const attributeEntries = (attributes: Record<string, string> | undefined) => Object.entries<string>(attributes ?? {}).map(([Name, Value]) => ({ Name, Value }));

function messageXml(m: Record<string, any>): string {
  return toXml(
    {
      MessageId: m.MessageId,
      ReceiptHandle: m.ReceiptHandle,
      MD5OfBody: m.MD5OfBody,
      Body: m.Body,
      ...(m.MD5OfMessageAttributes ? { MD5OfMessageAttributes: m.MD5OfMessageAttributes } : {}),
      Attribute: attributeEntries(m.Attributes),
      MessageAttribute: Object.entries<QueueMessageAttribute>(m.MessageAttributes ?? {}).map(([Name, v]) => ({ Name, Value: { StringValue: v.StringValue, DataType: v.DataType } })),
    },
    "Message",
  );
}

/** The query protocol's XML shape of an operation's JSON answer. */
export function jsonToQueryResult(action: string, result: Record<string, any>): string {
  switch (action) {
    case "ListQueues":
      return toXml(result.QueueUrls ?? [], "QueueUrl");
    case "GetQueueAttributes":
      return attributeEntries(result.Attributes).map((a) => toXml(a, "Attribute")).join("");
    case "ReceiveMessage":
      return (result.Messages ?? []).map(messageXml).join("");
    default:
      return Object.entries(result).map(([k, v]) => toXml(v, k)).join("");
  }
}
