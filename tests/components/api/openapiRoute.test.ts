import { expect } from "chai";
import OpenApiValidatorModule from "@seriousme/openapi-schema-validator";
import { buildApiDocument, publicApiDocument } from "../../../components/api/openapi";
import { OPENAPI_PATH } from "../../../components/api/openapiRoute";
import { renderTemplate } from "../../../local/aws/apigateway/vtl";
import { timerSchema } from "../../../lambdas/jobs/timer";

const integrations = {
  submit: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:submit/invocations",
  list: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:list/invocations",
  status: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:status/invocations",
  cancel: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:cancel/invocations",
};

describe("components/api GET /openapi.json", () => {
  for (const auth of ["iam", "apiKey", "none"] as const) {
    it(`answers the public document through a mock integration, without credentials (auth ${auth})`, async () => {
      const doc = buildApiDocument({ title: "jobs", auth, jobSchema: timerSchema, integrations, corsOrigins: [] });
      const op = doc.paths[OPENAPI_PATH]!.get as any;
      expect(op.security).to.deep.equal([]);
      const integration = op["x-amazon-apigateway-integration"];
      expect(integration.type).to.equal("mock");
      const template = integration.responses.default.responseTemplates["application/json"];
      // Rendered as API Gateway would, the template is exactly the public document.
      const served = JSON.parse(renderTemplate(template, {}).output);
      expect(served).to.deep.equal(publicApiDocument(doc));
      const text = JSON.stringify(served);
      expect(text).not.to.contain("x-amazon-apigateway").and.not.to.contain("arn:aws:");
      expect(Object.keys(served.paths).sort()).to.deep.equal(["/jobs", "/jobs/{jobId}", "/openapi.json"]);
      expect(served.paths["/jobs"].post.requestBody.content["application/json"].schema).to.be.an("object");
      const Validator = (OpenApiValidatorModule as any).Validator ?? OpenApiValidatorModule;
      const result = await new Validator().validate(served);
      expect(result.valid, JSON.stringify(result.errors)).to.equal(true);
    });
  }

  it("lets allowed browser origins read it (CORS), and only them", () => {
    const doc = buildApiDocument({ title: "jobs", auth: "none", jobSchema: timerSchema, integrations, corsOrigins: ["http://localhost:5173"] });
    const template = (doc.paths[OPENAPI_PATH]!.get as any)["x-amazon-apigateway-integration"].responses.default.responseTemplates["application/json"];
    const allowed = renderTemplate(template, { headers: { Origin: "http://localhost:5173" } });
    expect(allowed.responseOverride.header["Access-Control-Allow-Origin"]).to.equal("http://localhost:5173");
    expect(JSON.parse(allowed.output)).to.deep.equal(publicApiDocument(doc));
    const other = renderTemplate(template, { headers: { Origin: "https://evil.example" } });
    expect(other.responseOverride.header["Access-Control-Allow-Origin"]).to.equal(undefined);
    expect(JSON.parse(other.output)).to.deep.equal(publicApiDocument(doc));
  });
});
