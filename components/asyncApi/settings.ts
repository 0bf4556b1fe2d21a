/**
 * Integer settings with defaults, each checked against its range: the given values (undefined ones
 * dropped) over the defaults; an error names the component, the argument and the range.
 */
export function integerSettings<T extends Record<string, number>>(
  self: string,
  argName: string,
  defaults: Readonly<T>,
  given: Partial<T> | undefined,
  ranges: { [K in keyof T]: [number, number] },
): T {
  const s = { ...defaults, ...Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)) } as T;
  for (const key of Object.keys(ranges) as (keyof T & string)[]) {
    const [min, max] = ranges[key];
    const v = s[key];
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${self}: ${argName}.${key} must be an integer from ${min} to ${max}, got ${v}`);
  }
  return s;
}
