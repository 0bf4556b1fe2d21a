// The AWS query protocol layer the local services share (local/aws/protocols/query.ts), on a real
// HTTP server. What it copies:
// - https://smithy.io/2.0/aws/protocols/aws-query-protocol.html: form-encoded parameters (a POST's
//   body or a GET's query string) with Action=<Operation>; answers as <XResponse><XResult>…
//   <ResponseMetadata><RequestId>; errors as <ErrorResponse><Error><Type><Code><Message>;
// - an action a service does not serve: 400 InvalidAction, "The action or operation requested is
//   invalid" (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html,
//   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html).
import { expect } from "chai";
import * as http from "node:http";
import { AwsApiError } from "../../../local/aws/protocols/apiError";
import { close, listen } from "../../../local/aws/protocols/listen";
import { queryList, queryListener, toXml, xmlEscape, type QueryService } from "../../../local/aws/protocols/query";

async function call(endpoint: string, form: string, method = "POST", path = "/") {
  const res = await fetch(method === "GET" ? `${endpoint}${path}?${form}` : `${endpoint}${path}`, {
    method,
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: method === "POST" ? form : undefined,
  });
  return { status: res.status, type: res.headers.get("content-type"), requestId: res.headers.get("x-amzn-requestid"), body: await res.text() };
}

describe("local/aws/protocols query", () => {
  const servers: http.Server[] = [];
  const start = async (service: QueryService) => {
    const server = http.createServer(queryListener(service));
    servers.push(server);
    return (await listen(server)).endpoint;
  };
  after(() => Promise.all(servers.map((s) => close(s))));

  const actions: QueryService["actions"] = {
    Echo: (params, req) => toXml({ Name: params.get("Name"), Method: req.method, Items: queryList(params, "Item").map((e) => e.get("")) }, "Echo"),
    Fail: () => {
      throw new AwsApiError("Throttling", "slow <down>", 429);
    },
    Crash: () => {
      throw new Error("a bug");
    },
  };

  it("routes Action (POST body or GET query) to the action and wraps its XML in <ActionResponse><ActionResult> with the request id", async () => {
    const endpoint = await start({ namespace: "urn:test", actions });
    const posted = await call(endpoint, "Action=Echo&Name=a%26b&Item.2=second&Item.1=first");
    expect(posted.status).to.equal(200);
    expect(posted.type).to.equal("text/xml");
    expect(posted.requestId).to.match(/^[0-9a-f-]{36}$/);
    expect(posted.body).to.equal(
      `<?xml version="1.0"?><EchoResponse xmlns="urn:test"><EchoResult><Echo><Name>a&amp;b</Name><Method>POST</Method><Items>first</Items><Items>second</Items></Echo></EchoResult>` +
        `<ResponseMetadata><RequestId>${posted.requestId}</RequestId></ResponseMetadata></EchoResponse>`,
    );
    const got = await call(endpoint, "Action=Echo&Name=x", "GET");
    expect(got.status).to.equal(200);
    expect(got.body).to.contain("<Name>x</Name><Method>GET</Method>");
  });

  it("answers an unknown or missing Action with 400 InvalidAction, never silently", async () => {
    const endpoint = await start({ namespace: "urn:test", actions });
    const unknown = await call(endpoint, "Action=DoSomethingElse");
    expect(unknown.status).to.equal(400);
    expect(unknown.body).to.equal(
      `<?xml version="1.0"?><ErrorResponse xmlns="urn:test"><Error><Type>Sender</Type><Code>InvalidAction</Code>` +
        `<Message>The action DoSomethingElse is not valid for this endpoint.</Message></Error><RequestId>${unknown.requestId}</RequestId></ErrorResponse>`,
    );
    const missing = await call(endpoint, "Name=x");
    expect(missing.status).to.equal(400);
    expect(missing.body).to.contain("<Code>InvalidAction</Code>");
    const inherited = await call(endpoint, "Action=toString");
    expect(inherited.status, "only the service's own actions are routed").to.equal(400);
    expect(inherited.body).to.contain("<Code>InvalidAction</Code>");
  });

  it("answers an AwsApiError with its status, code and escaped message; any other error is a 500 Receiver of the internal code", async () => {
    const endpoint = await start({ namespace: "urn:test", actions, internalErrorCode: "InternalError" });
    const failed = await call(endpoint, "Action=Fail");
    expect(failed.status).to.equal(429);
    expect(failed.body).to.contain("<Error><Type>Sender</Type><Code>Throttling</Code><Message>slow &lt;down&gt;</Message></Error>");
    const crashed = await call(endpoint, "Action=Crash");
    expect(crashed.status).to.equal(500);
    expect(crashed.body).to.contain("<Error><Type>Receiver</Type><Code>InternalError</Code><Message>a bug</Message></Error>");
  });

  it("follows the service's options: no XML declaration, <Detail/>, its own codes and unknown-action error", async () => {
    const endpoint = await start({
      namespace: "urn:other",
      actions,
      xmlDeclaration: false,
      errorDetail: true,
      errorCode: (error) => `Mapped.${error.code}`,
      unknownAction: (action) => new AwsApiError("InvalidAction", `Could not find operation ${action}`),
    });
    const echo = await call(endpoint, "Action=Echo");
    expect(echo.body.startsWith('<EchoResponse xmlns="urn:other">')).to.equal(true);
    const failed = await call(endpoint, "Action=Fail");
    expect(failed.body).to.equal(
      `<ErrorResponse xmlns="urn:other"><Error><Type>Sender</Type><Code>Mapped.Throttling</Code><Message>slow &lt;down&gt;</Message><Detail/></Error>` +
        `<RequestId>${failed.requestId}</RequestId></ErrorResponse>`,
    );
    const missing = await call(endpoint, "");
    expect(missing.status).to.equal(400);
    expect(missing.body).to.contain("<Code>Mapped.InvalidAction</Code><Message>Could not find operation null</Message>");
  });

  it("renders values as XML elements and reads indexed lists and maps", () => {
    expect(xmlEscape(`<a href="x">'&'\r</a>`)).to.equal("&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&#xD;&lt;/a&gt;");
    expect(toXml({ A: "1", B: ["x", "y"], C: undefined, D: { E: 2 } }, "R")).to.equal("<R><A>1</A><B>x</B><B>y</B><D><E>2</E></D></R>");
    expect(toXml(null, "R")).to.equal("");
    const params = new URLSearchParams("Attribute.2.Name=b&Attribute.2.Value=2&Attribute.1.Name=a&Attribute.1.Value=1&AttributeName.1=All&Other=x");
    expect(queryList(params, "Attribute").map((e) => Object.fromEntries(e))).to.deep.equal([
      { Name: "a", Value: "1" },
      { Name: "b", Value: "2" },
    ]);
    expect(queryList(params, "AttributeName").map((e) => e.get(""))).to.deep.equal(["All"]);
    expect(queryList(params, "Missing")).to.deep.equal([]);
  });
});
