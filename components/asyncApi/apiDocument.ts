/**
 * The API's OpenAPI document (components/api/openapi.ts) as the REST API imports it: its routes
 * integrated with the route functions (or, backend `stream`, submit with the table), as JSON text.
 * What API Gateway's import would not honour in the job's schema is reported as a warning.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AuthMode, Backend } from "../../lambdas/shared/types";
import { describeImportLimits, importLimits } from "../api/importLimits";
import { buildApiDocument } from "../api/openapi";
import type { ApiGatewayIntegration } from "../api/openapiTypes";
import type { JobArgs } from "../job";
import type { RouteFunctions } from "./routes";

export function apiDocumentBody(
  name: string,
  parent: pulumi.Resource,
  args: {
    job: JobArgs;
    auth: AuthMode;
    backend: Backend;
    corsOrigins: string[];
    functions: RouteFunctions;
    /** backend `stream`: submit's integration with the table, instead of a submit function. */
    submitIntegration?: pulumi.Output<ApiGatewayIntegration>;
  },
): pulumi.Output<string> {
  const fns = args.functions;
  const submitRoute: pulumi.Output<string | ApiGatewayIntegration> = args.submitIntegration ?? fns.submit!.invokeArn;
  return pulumi.all([submitRoute, fns.list.invokeArn, fns.status.invokeArn, fns.cancel.invokeArn]).apply(([submit, list, status, cancel]) => {
    const document = buildApiDocument({ title: name, auth: args.auth, jobSchema: args.job.schema, integrations: { submit, list, status, cancel }, corsOrigins: args.corsOrigins });
    const caution = describeImportLimits(importLimits(document as unknown as Record<string, unknown>), args.backend === "stream");
    if (caution) void pulumi.log.warn(caution, parent);
    return JSON.stringify(document);
  });
}
