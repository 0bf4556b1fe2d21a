import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { AsyncApi } from "async-api";
import { textStats } from "./job";
import { shoutFunction, shoutSchema } from "./shout";

const config = new pulumi.Config("text-stats");

const api = new AsyncApi("stats", {
  job: { name: textStats.name, module: path.join(__dirname, "job.ts"), exportName: "textStats", schema: textStats.schema },
  backend: (config.get("backend") ?? "lambda") as "stepfunctions" | "lambda" | "stream",
  store: "dynamodb",
  auth: "apiKey",
  jobTimeoutSeconds: 60,
  resultTtlMinutes: 60,
});

export const apiUrl = api.apiUrl;
export const apiKey = api.apiKeyValue;
export const auth = api.auth;

// A second API whose job is an existing Lambda function (job.functionArn), run by Step Functions.
const shout = new AsyncApi("shout", {
  job: { name: "shout", functionArn: shoutFunction.arn, schema: shoutSchema },
  backend: "stepfunctions",
  store: "dynamodb",
  auth: "none",
  jobTimeoutSeconds: 60,
  resultTtlMinutes: 60,
});

export const shoutApiUrl = shout.apiUrl;
