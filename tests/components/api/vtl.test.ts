import { expect } from "chai";
import { renderTemplate, VtlError } from "../../../local/aws/apigateway/vtl";
import { evaluateJsonPath } from "../../../local/aws/apigateway/jsonPath";
import { base64Decode, base64Encode, escapeJavaScript, urlDecode, urlEncode } from "../../../local/aws/apigateway/vtlUtil";

const out = (template: string, req: Parameters<typeof renderTemplate>[1] = {}) => renderTemplate(template, req).output;

describe("local/aws/apigateway vtl renderTemplate", () => {
  describe("$input.json", () => {
    const tricky = {
      quote: 'say "hi"',
      backslash: "C:\\temp\\new",
      unicode: "héllo ✓ 😀 \u2028 \u0000",
      apostrophe: "it's",
      nested: { list: [1, "two", null, { three: true }] },
    };
    const body = JSON.stringify(tricky);

    for (const key of Object.keys(tricky)) {
      it(`gives a valid JSON fragment for ${key}`, () => {
        const rendered = out(`{"value": $input.json('$.${key}')}`, { body });
        expect(JSON.parse(rendered).value).to.deep.equal((tricky as Record<string, unknown>)[key]);
      });
    }

    it("gives the whole body for $", () => {
      expect(JSON.parse(out("$input.json('$')", { body }))).to.deep.equal(tricky);
    });

    it("supports brackets, indexes and wildcards", () => {
      const b = JSON.stringify({ "a-b": { c: [10, 20, 30] }, items: [{ id: 1 }, { id: 2 }] });
      expect(out(`$input.json("$['a-b'].c[1]")`, { body: b })).to.equal("20");
      expect(out(`$input.json('$.a-b.c[-1]')`, { body: b })).to.equal("30");
      expect(out(`$input.json('$.items[*].id')`, { body: b })).to.equal("[1,2]");
      expect(out(`$input.json('$..id')`, { body: b })).to.equal("[1,2]");
    });

    it("treats an empty body as {}", () => {
      expect(out("$input.json('$')", { body: "" })).to.equal("{}");
    });

    it("throws VtlError when it must parse a body that is not JSON", () => {
      expect(() => out("$input.json('$')", { body: "{nope" })).to.throw(VtlError, /not valid JSON/);
      expect(out("$input.body", { body: "{nope" })).to.equal("{nope");
    });
  });

  describe("$input.path", () => {
    it("gives values templates can use", () => {
      const body = JSON.stringify({ n: 3, s: "abc", list: ["x", "y"], obj: { k: "v" } });
      expect(out("$input.path('$.n') $input.path('$.s').length() $input.path('$.list').size() $input.path('$.obj').k", { body })).to.equal(
        "3 3 2 v",
      );
      expect(out("#if($input.path('$.list').contains('y'))yes#end", { body })).to.equal("yes");
    });

    it("prints a missing or null value as the reference, and nothing when quiet", () => {
      const body = JSON.stringify({ nothing: null });
      expect(out("[$input.path('$.missing')]", { body })).to.equal("[$input.path('$.missing')]");
      expect(out("[$!input.path('$.missing')][$!input.path('$.nothing')]", { body })).to.equal("[][]");
    });
  });

  describe("$input.params", () => {
    const req = {
      headers: { "Content-Type": "application/json", "X-Thing": "h" },
      pathParams: { jobId: "abc", shared: "from-path" },
      query: { q: "1", shared: "from-query" },
    };

    it("finds path, then query string, then header; headers case-insensitively", () => {
      expect(out("$input.params('jobId') $input.params('q') $input.params('shared') $input.params('x-thing') $input.params('CONTENT-TYPE')", req)).to.equal(
        "abc 1 from-path h application/json",
      );
    });

    it("gives an empty string for an unknown name", () => {
      expect(out("[$input.params('nope')]", req)).to.equal("[]");
    });

    it("gives all parameters as maps with params()", () => {
      const template = `#set($all = $input.params())#foreach($type in ['path', 'querystring', 'header'])$type:#foreach($k in $all.get($type).keySet())$k=$all.get($type).get($k)#if($foreach.hasNext),#end#end;#end`;
      expect(out(template, req)).to.equal("path:jobId=abc,shared=from-path;querystring:q=1,shared=from-query;header:Content-Type=application/json,X-Thing=h;");
    });
  });

  describe("$util", () => {
    it("escapeJavaScript turns ' into \\' (not valid JSON) and escapes the rest as Commons Lang does", () => {
      expect(out(`$util.escapeJavaScript($input.path('$.s'))`, { body: JSON.stringify({ s: "it's" }) })).to.equal("it\\'s");
      expect(escapeJavaScript(`"a/b"\\\n\t\u0001é😀`)).to.equal('\\"a\\/b\\"\\\\\\n\\t\\u0001\\u00E9\\uD83D\\uDE00');
      expect(() => JSON.parse(`"${escapeJavaScript("it's")}"`)).to.throw(SyntaxError);
    });

    it("parseJson gives an object", () => {
      expect(out(`#set($o = $util.parseJson($input.path('$.text')))$o.a.b`, { body: JSON.stringify({ text: '{"a":{"b":"deep"}}' }) })).to.equal("deep");
    });

    it("urlEncode/urlDecode behave like java.net.URLEncoder/URLDecoder", () => {
      expect(urlEncode("a b&c=d/é~*._-")).to.equal("a+b%26c%3Dd%2F%C3%A9%7E*._-");
      expect(urlDecode("a+b%26c%3Dd%2F%C3%A9%7E")).to.equal("a b&c=d/é~");
      expect(() => urlDecode("%zz")).to.throw(/urlDecode/);
      expect(out("$util.urlDecode($util.urlEncode('x y'))")).to.equal("x y");
    });

    it("base64Encode/base64Decode round-trip UTF-8", () => {
      expect(base64Encode("héllo")).to.equal("aMOpbGxv");
      expect(base64Decode("aMOpbGxv")).to.equal("héllo");
      expect(out("$util.base64Decode($util.base64Encode('ok ✓'))")).to.equal("ok ✓");
    });
  });

  describe("$context", () => {
    it("has the request's fields, with defaults", () => {
      const req = {
        headers: { "User-Agent": "tests" },
        context: {
          requestId: "req-1",
          stage: "dev",
          httpMethod: "POST",
          resourcePath: "/jobs",
          requestTimeEpoch: 1_700_000_000_000,
          identity: { userArn: "arn:aws:iam::123456789012:user/alice" },
        },
      };
      expect(
        out(
          "$context.requestId $context.stage $context.httpMethod $context.resourcePath $context.requestTimeEpoch $context.identity.userArn $context.identity.sourceIp $context.identity.userAgent",
          req,
        ),
      ).to.equal("req-1 dev POST /jobs 1700000000000 arn:aws:iam::123456789012:user/alice 127.0.0.1 tests");
      expect(out("$context.requestTime", req)).to.equal("14/Nov/2023:22:13:20 +0000");
    });

    it("gives a fresh request id when none is given", () => {
      expect(out("$context.requestId")).to.match(/^[0-9a-f-]{36}$/);
    });

    it("collects responseOverride status and headers", () => {
      const result = renderTemplate(
        "#set($context.responseOverride.status = 418)#set($context.responseOverride.header.X-Custom = 'v')#set($context.responseOverride.header.Content-Type = 'text/plain')body",
      );
      expect(result.output).to.equal("body");
      expect(result.responseOverride).to.deep.equal({ status: 418, header: { "X-Custom": "v", "Content-Type": "text/plain" } });
    });

    it("accepts a status given as a string, and rejects one that is not a status", () => {
      expect(renderTemplate("#set($context.responseOverride.status = '404')").responseOverride.status).to.equal(404);
      expect(() => renderTemplate("#set($context.responseOverride.status = 'teapot')")).to.throw(VtlError);
    });

    it("leaves responseOverride empty when the template does not touch it", () => {
      expect(renderTemplate("{}").responseOverride).to.deep.equal({ header: {} });
    });

    it("collects requestOverride", () => {
      const result = renderTemplate("#set($context.requestOverride.header.X-Id = $input.params('jobId'))", { pathParams: { jobId: "j1" } });
      expect(result.requestOverride.header).to.deep.equal({ "X-Id": "j1" });
    });
  });

  describe("Velocity as Java runs it", () => {
    it("$!missing renders empty, $missing renders itself", () => {
      expect(out("[$!missing][$missing][$!{missing}]")).to.equal("[][$missing][]");
    });

    it("renders a null reference inside a string literal as its own text, not a slice of the first line", () => {
      expect(out('first line\n#set($a = "x $nope.y z")[$a]')).to.equal("first line\n[x $nope.y z]");
    });

    // The Velocity 1.7 user guide, #set: "If the RHS is a property or method reference that
    // evaluates to null, it will not be assigned to the LHS."
    it("keeps a variable's value when #set's right side is a null reference", () => {
      expect(out('#set($s = "abc")#set($s = $nope.x)[$s]')).to.equal("[abc]");
      expect(out('#set($s = "abc")#set($s = "$!nope.x")[$s]')).to.equal("[]");
      expect(out("#set($n = 1)#set($n = $n + 1)[$n]")).to.equal("[2]");
    });

    it("reads stage variables", () => {
      expect(out("$stageVariables.alias [$!stageVariables.none]", { stageVariables: { alias: "live" } })).to.equal("live []");
    });

    it("has Java's String methods", () => {
      const body = JSON.stringify({ s: "Hello, World,," });
      const s = "$input.path('$.s')";
      expect(out(`${s}.length() ${s}.isEmpty() ${s}.contains('World') ${s}.equalsIgnoreCase('hello, world,,')`, { body })).to.equal("14 false true true");
      expect(out(`${s}.matches('H.*') ${s}.matches('ello')`, { body })).to.equal("true false");
      expect(out(`${s}.replaceAll('(l+)', '<$1>') ${s}.replace('l', 'L')`, { body })).to.equal("He<ll>o, Wor<l>d,, HeLLo, WorLd,,");
      expect(out(`${s}.split(',').size() ${s}.toUpperCase() ${s}.substring(0, 5)`, { body })).to.equal("2 HELLO, WORLD,, Hello");
    });

    it("has Java's List and Map methods", () => {
      expect(out("#set($l = ['a', 'b'])$l.contains('b') $l.contains('c') $l.isEmpty() $l.size() $l.get(1)")).to.equal("true false false 2 b");
      expect(out("#set($m = {'k': 'v'})$m.containsKey('k') $m.containsKey('x') $m.get('k') $m.isEmpty() $m.size()")).to.equal("true false v false 1");
      // Java's put returns the previous value: null (printed as the reference) the first time.
      expect(out("#set($m = {})$m.put('k', 1)|$m.put('k', 2)|$m.k")).to.equal("$m.put('k', 1)|1|2");
    });

    it("divides integers as Java does", () => {
      expect(out("#set($a = 7 / 2)$a #set($b = 7.0 / 2)$b")).to.equal("3 3.5");
    });

    it("does not escape HTML", () => {
      expect(out("$input.path('$.h')", { body: JSON.stringify({ h: "<b>&\"'</b>" }) })).to.equal("<b>&\"'</b>");
    });

    it("does not evaluate VTL that arrives in data", () => {
      const body = JSON.stringify({ evil: "#set($context.responseOverride.status = 500)$context.requestId" });
      const result = renderTemplate("$input.path('$.evil')", { body, context: { requestId: "secret" } });
      expect(result.output).to.equal("#set($context.responseOverride.status = 500)$context.requestId");
      expect(result.responseOverride).to.deep.equal({ header: {} });
    });

    it("throws VtlError for a template that does not parse", () => {
      expect(() => renderTemplate("#if(")).to.throw(VtlError);
    });
  });
});

describe("local/aws/apigateway evaluateJsonPath", () => {
  const doc = { a: { b: [1, { c: "x" }] }, "odd.key": 5 };
  it("resolves definite paths and reports absent ones as undefined", () => {
    expect(evaluateJsonPath(doc, "$")).to.equal(doc);
    expect(evaluateJsonPath(doc, "$.a.b[1].c")).to.equal("x");
    expect(evaluateJsonPath(doc, "$['odd.key']")).to.equal(5);
    expect(evaluateJsonPath(doc, "$.a.nope")).to.equal(undefined);
    expect(evaluateJsonPath(doc, "$.a.b[9]")).to.equal(undefined);
    expect(evaluateJsonPath(doc, "$.constructor")).to.equal(undefined);
  });

  it("rejects what it cannot parse", () => {
    expect(() => evaluateJsonPath(doc, "a.b")).to.throw(/JSONPath/);
    expect(() => evaluateJsonPath(doc, "$.a[?(@.x)]")).to.throw(/JSONPath/);
    expect(() => evaluateJsonPath(doc, "$.a[")).to.throw(/JSONPath/);
  });
});
