/**
 * The Pulumi providers and the `random` package's RandomBytes: random bytes that stay the same for
 * a stack and resource across restarts (as they stay in a Pulumi stack's state), from a hash, so
 * the local cloud keeps no state of its own for them.
 */
import * as crypto from "crypto";
import type { MaterialiserContext, Materialisers } from "./context";

export function providerMaterialisers(ctx: MaterialiserContext): Materialisers {
  return {
    "pulumi:providers:aws": async (name) => ({ id: `${name}-provider`, state: {} }),
    "pulumi:providers:random": async (name) => ({ id: `${name}-provider`, state: {} }),
    "random:index/randomBytes:RandomBytes": async (name, inputs) => {
      const length = Number(inputs.length);
      if (!Number.isInteger(length) || length < 1) throw new Error(`random bytes ${name}: length must be a positive integer`);
      const chunks: Buffer[] = [];
      for (let i = 0; Buffer.concat(chunks).length < length; i++) chunks.push(crypto.createHash("sha256").update(`${ctx.stack}/${name}/random/${i}`).digest());
      const bytes = Buffer.concat(chunks).subarray(0, length);
      return { id: `${name}-${ctx.shortId(name)}`, state: { base64: bytes.toString("base64"), hex: bytes.toString("hex"), length } };
    },
  };
}
