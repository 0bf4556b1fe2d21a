/*
 * In-memory DynamoDB (document client), S3, Step Functions and Lambda behind aws-sdk-client-mock:
 * the handlers run their real store code (commands, conditions, ETags) against state the tests
 * can read and change. Conditional writes behave as AWS does for the expressions the stores use
 * (anything else throws, so a store change that the fake does not understand fails loudly).
 */
import { createHash } from "node:crypto";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { SFNClient, StartExecutionCommand, StopExecutionCommand } from "@aws-sdk/client-sfn";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { OWNER_INDEX } from "../../../lambdas/shared/store/listIndex";
import { mockClient } from "aws-sdk-client-mock";
import type { AwsClientStub } from "aws-sdk-client-mock";

export type Operation =
  | "dynamodb:Get"
  | "dynamodb:Put"
  | "dynamodb:Delete"
  | "dynamodb:Query"
  | "s3:GetObject"
  | "s3:PutObject"
  | "s3:DeleteObject"
  | "s3:ListObjectsV2"
  | "sfn:StartExecution"
  | "sfn:StopExecution"
  | "lambda:Invoke";

/** Runs before an operation; may throw (a failure), return a value (the answer), or change state. */
export type Interceptor = (op: Operation, input: any) => unknown;

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));

export function awsError(name: string, message: string, httpStatusCode: number): Error {
  const err = new Error(message) as Error & { $metadata: object; $fault: string };
  err.name = name;
  err.$metadata = { httpStatusCode };
  err.$fault = httpStatusCode >= 500 ? "server" : "client";
  return err;
}

export class FakeAws {
  ddb!: AwsClientStub<DynamoDBDocumentClient>;
  s3!: AwsClientStub<S3Client>;
  sfn!: AwsClientStub<SFNClient>;
  lambda!: AwsClientStub<LambdaClient>;
  sts!: AwsClientStub<STSClient>;
  /** What STS takes for now when it dates the credentials of AssumeRole (epoch ms). */
  stsNow: () => number = Date.now;
  /** `<table>/<pk>` → item */
  readonly items = new Map<string, Record<string, any>>();
  /** `<bucket>/<key>` → object */
  readonly objects = new Map<string, { body: string; etag: string; contentType?: string }>();
  readonly interceptors: Interceptor[] = [];
  /** Operations whose next answer is lost after the service applied them (see `loseNextAnswer`). */
  private readonly lostAnswers = new Set<Operation>();
  private etagCounter = 0;

  install(): void {
    this.ddb = mockClient(DynamoDBDocumentClient);
    this.s3 = mockClient(S3Client);
    this.sfn = mockClient(SFNClient);
    this.lambda = mockClient(LambdaClient);
    this.sts = mockClient(STSClient);
    this.wire();
  }

  restore(): void {
    this.ddb.restore();
    this.s3.restore();
    this.sfn.restore();
    this.lambda.restore();
    this.sts.restore();
  }

  /** Fresh state and call history, default behaviour. */
  reset(): void {
    this.items.clear();
    this.objects.clear();
    this.interceptors.length = 0;
    this.lostAnswers.clear();
    this.ddb.reset();
    this.s3.reset();
    this.sfn.reset();
    this.lambda.reset();
    this.sts.reset();
    this.stsNow = Date.now;
    this.wire();
  }

  /** Total SDK calls made, all services. */
  callCount(): number {
    return this.ddb.calls().length + this.s3.calls().length + this.sfn.calls().length + this.lambda.calls().length + this.sts.calls().length;
  }

  /** Adds an interceptor that runs once for the first matching operation (then removes itself). */
  once(op: Operation, fn: (input: any) => unknown, when: (input: any) => boolean = () => true): void {
    const interceptor: Interceptor = (seen, input) => {
      if (seen !== op || !when(input)) return undefined;
      this.interceptors.splice(this.interceptors.indexOf(interceptor), 1);
      return fn(input);
    };
    this.interceptors.push(interceptor);
  }

  /**
   * The next `op` is applied, but its answer is lost (a timeout, a dropped connection), so the
   * SDK sends the same request again and the caller gets the retry's answer.
   */
  loseNextAnswer(op: Operation): void {
    this.lostAnswers.add(op);
  }

  /** Makes every matching operation fail with `err`. */
  failAlways(op: Operation, err: () => Error): void {
    this.interceptors.push((seen) => {
      if (seen === op) throw err();
      return undefined;
    });
  }

  private intercept(op: Operation, input: any): unknown {
    for (const interceptor of [...this.interceptors]) {
      const answer = interceptor(op, input);
      if (answer !== undefined) return answer;
    }
    return undefined;
  }

  private wire(): void {
    const run = (op: Operation, input: any, body: () => unknown) => async () => {
      const answer = this.intercept(op, input);
      if (answer !== undefined) return answer;
      const first = await body();
      // The answer was lost on the way back: the SDK sends the same request again.
      if (this.lostAnswers.delete(op)) return body();
      return first;
    };

    // --- STS: AssumeRole answers a session of the duration asked for, dated by `stsNow` ---
    this.sts.on(AssumeRoleCommand).callsFake((input) => {
      const seconds = input.DurationSeconds ?? 3600;
      const token = `FwoGZXIvYXdzE${createHash("sha256").update(`${input.RoleArn}/${this.stsNow()}`).digest("hex")}`;
      return {
        Credentials: { AccessKeyId: "ASIAFAKEREADER", SecretAccessKey: "reader-secret", SessionToken: token, Expiration: new Date(this.stsNow() + seconds * 1000) },
        AssumedRoleUser: { Arn: `${input.RoleArn!.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")}/${input.RoleSessionName}`, AssumedRoleId: "AROAFAKE:result-url" },
      };
    });

    // --- DynamoDB (document client) ---
    this.ddb.on(GetCommand).callsFake((input) =>
      run("dynamodb:Get", input, () => {
        const item = this.items.get(`${input.TableName}/${input.Key.pk}`);
        return { Item: item ? clone(item) : undefined };
      })(),
    );
    this.ddb.on(PutCommand).callsFake((input) =>
      run("dynamodb:Put", input, () => {
        const key = `${input.TableName}/${input.Item.pk}`;
        const existing = this.items.get(key);
        const values = input.ExpressionAttributeValues ?? {};
        let ok: boolean;
        switch (input.ConditionExpression) {
          case undefined:
            ok = true;
            break;
          case "attribute_not_exists(pk)":
            ok = !existing;
            break;
          case "version = :expected":
            ok = !!existing && existing.version === values[":expected"];
            break;
          case "attribute_not_exists(pk) OR expiresAt <= :nowSeconds":
            ok = !existing || existing.expiresAt <= values[":nowSeconds"];
            break;
          default:
            throw new Error(`fake DynamoDB: unsupported condition ${input.ConditionExpression}`);
        }
        if (!ok) throw new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: { httpStatusCode: 400 } });
        this.items.set(key, clone(input.Item));
        return {};
      })(),
    );
    this.ddb.on(DeleteCommand).callsFake((input) =>
      run("dynamodb:Delete", input, () => {
        this.items.delete(`${input.TableName}/${input.Key.pk}`);
        return {};
      })(),
    );

    // "Query" (DynamoDB API Reference): a Query of the owner index only, as the list uses it: items with the owner, by createdAt
    // (then pk), projected to the index's attributes; Limit, ExclusiveStartKey, LastEvaluatedKey.
    this.ddb.on(QueryCommand).callsFake((input) =>
      run("dynamodb:Query", input, () => {
        if (input.IndexName !== OWNER_INDEX.name || input.KeyConditionExpression !== "#owner = :owner") {
          throw new Error(`fake DynamoDB: unsupported query ${input.IndexName} ${input.KeyConditionExpression}`);
        }
        const owner = input.ExpressionAttributeValues[":owner"];
        const order = (a: Record<string, any>, b: Record<string, any>) => (a.createdAt === b.createdAt ? (a.pk < b.pk ? -1 : a.pk > b.pk ? 1 : 0) : a.createdAt < b.createdAt ? -1 : 1);
        const sign = input.ScanIndexForward === false ? -1 : 1;
        let items = [...this.items.entries()]
          .filter(([key, item]) => key.startsWith(`${input.TableName}/`) && item.owner === owner && typeof item.createdAt === "string")
          .map(([, item]) => item)
          .sort((a, b) => sign * order(a, b));
        const start = input.ExclusiveStartKey;
        if (start) items = items.filter((item) => sign * order(item, start) > 0);
        const page = items.slice(0, input.Limit ?? items.length);
        const projected = ["pk", OWNER_INDEX.hashKey, OWNER_INDEX.rangeKey, ...OWNER_INDEX.nonKeyAttributes];
        const last = page[page.length - 1];
        return {
          Items: page.map((item) => clone(Object.fromEntries(Object.entries(item).filter(([k]) => projected.includes(k))))),
          // As DynamoDB: a query stopped by its Limit has a LastEvaluatedKey, even if nothing follows.
          ...(input.Limit !== undefined && page.length === input.Limit && last ? { LastEvaluatedKey: { pk: last.pk, owner: last.owner, createdAt: last.createdAt } } : {}),
        };
      })(),
    );

    // --- S3 ---
    this.s3.on(ListObjectsV2Command).callsFake((input) =>
      run("s3:ListObjectsV2", input, () => {
        const keys = [...this.objects.keys()]
          .filter((k) => k.startsWith(`${input.Bucket}/`))
          .map((k) => k.slice(`${input.Bucket}/`.length))
          .filter((k) => k.startsWith(input.Prefix ?? "") && (input.StartAfter === undefined || k > input.StartAfter))
          .sort();
        const page = keys.slice(0, input.MaxKeys ?? 1000);
        return { Contents: page.map((Key) => ({ Key })), KeyCount: page.length, IsTruncated: page.length < keys.length };
      })(),
    );
    this.s3.on(GetObjectCommand).callsFake((input) =>
      run("s3:GetObject", input, () => {
        const object = this.objects.get(`${input.Bucket}/${input.Key}`);
        if (!object) throw new NoSuchKey({ message: "The specified key does not exist.", $metadata: { httpStatusCode: 404 } });
        return { Body: { transformToString: async () => object.body }, ETag: object.etag, ContentType: object.contentType };
      })(),
    );
    this.s3.on(PutObjectCommand).callsFake((input) =>
      run("s3:PutObject", input, () => {
        const key = `${input.Bucket}/${input.Key}`;
        const existing = this.objects.get(key);
        const failed = () =>
          new S3ServiceException({ name: "PreconditionFailed", message: "At least one of the pre-conditions you specified did not hold", $fault: "client", $metadata: { httpStatusCode: 412 } });
        if (input.IfNoneMatch === "*" && existing) throw failed();
        if (input.IfMatch !== undefined && (!existing || existing.etag !== input.IfMatch)) throw failed();
        const body = typeof input.Body === "string" ? input.Body : Buffer.from(input.Body).toString("utf8");
        const etag = `"${createHash("md5").update(body).digest("hex").slice(0, 16)}${++this.etagCounter}"`;
        this.objects.set(key, { body, etag, contentType: input.ContentType });
        return { ETag: etag };
      })(),
    );
    this.s3.on(DeleteObjectCommand).callsFake((input) =>
      run("s3:DeleteObject", input, () => {
        this.objects.delete(`${input.Bucket}/${input.Key}`);
        return {};
      })(),
    );

    // --- Step Functions, Lambda ---
    this.sfn.on(StartExecutionCommand).callsFake((input) =>
      run("sfn:StartExecution", input, () => ({
        executionArn: `${String(input.stateMachineArn).replace(":stateMachine:", ":execution:")}:${input.name}`,
        startDate: new Date(),
      }))(),
    );
    this.sfn.on(StopExecutionCommand).callsFake((input) => run("sfn:StopExecution", input, () => ({ stopDate: new Date() }))());
    this.lambda.on(InvokeCommand).callsFake((input) => run("lambda:Invoke", input, () => ({ StatusCode: 202 }))());
  }
}
