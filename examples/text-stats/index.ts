import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { AsyncApi } from "async-api";
import { textStats } from "./job";

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
