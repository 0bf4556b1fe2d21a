import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/*
 * A job that is an existing Lambda function rather than a module to bundle: any runtime would do
 * (Python, Go, Java…); this one is plain JavaScript so that the local cloud can run it too. The
 * worker invokes it with {"jobId", "input"}; what it returns is the result, and an error it raises
 * fails the job with the error's name as the code.
 */
const SOURCE = `
exports.handler = async (event) => {
  const text = String(event.input.text);
  if (text.trim() === "") {
    const error = new Error("Nothing to shout.");
    error.name = "NothingToShout";
    throw error;
  }
  return { jobId: event.jobId, shouted: text.toUpperCase() + "!" };
};
`;

const role = new aws.iam.Role("shout-fn-role", {
  assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } }] }),
});
new aws.iam.RolePolicyAttachment("shout-fn-logs", { role: role.name, policyArn: aws.iam.ManagedPolicy.AWSLambdaBasicExecutionRole });

export const shoutFunction = new aws.lambda.Function("shout-fn", {
  runtime: aws.lambda.Runtime.NodeJS22dX,
  handler: "index.handler",
  code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(SOURCE) }),
  role: role.arn,
  timeout: 30,
});

export const shoutSchema = {
  type: "object",
  required: ["text"],
  properties: { text: { type: "string", maxLength: 1000 } },
};
