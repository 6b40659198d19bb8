/**
 * A value as something JSON.stringify can always write, and a reader gets back as it was meant: objects
 * with toJSON (Result, Date) as they present themselves, Errors as name and message, Buffers as base64,
 * bigints as strings, Maps and Sets as objects and arrays, cycles cut; functions and symbols dropped.
 */
export function jsonSafe(value: unknown, seen: Set<object> = new Set(), depth = 0): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  const object = value as object;
  if (seen.has(object)) return '[Circular]';
  if (depth > 50) return '[Too deep]';
  seen.add(object);
  try {
    if (Buffer.isBuffer(object)) return { base64: object.toString('base64') };
    if (object instanceof Error) return { name: object.name, message: object.message, ...('code' in object ? { code: jsonSafe(object.code, seen, depth + 1) } : {}) };
    if (typeof (object as { toJSON?: unknown }).toJSON === 'function') return jsonSafe((object as { toJSON: () => unknown }).toJSON(), seen, depth + 1);
    if (object instanceof Map) return jsonSafe(Object.fromEntries([...object].map(([key, item]) => [String(key), item])), seen, depth + 1);
    if (object instanceof Set) return jsonSafe([...object], seen, depth + 1);
    if (Array.isArray(object)) return object.map((item) => jsonSafe(item, seen, depth + 1) ?? null);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(object)) {
      const safe = jsonSafe(item, seen, depth + 1);
      if (safe !== undefined) out[key] = safe;
    }
    return out;
  } finally {
    seen.delete(object);
  }
}
