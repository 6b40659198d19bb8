// How ssh(1) settles the final host name: names are lowercased, address literals are rewritten in the form
// getnameinfo(NI_NUMERICHOST) prints (glibc inet_ntop), unless that differs only in case.
import { isIPv4, isIPv6 } from 'node:net';

function ipv6Words(address: string): number[] | undefined {
  let text = address;
  const tail = text.slice(text.lastIndexOf(':') + 1);
  if (isIPv4(tail)) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, text.length - tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((hex) => (/^[0-9a-f]{1,4}$/i.test(hex) ? Number.parseInt(hex, 16) : -1)));
  const before = parse(halves[0] ?? '');
  const after = halves.length === 2 ? parse(halves[1] ?? '') : [];
  const missing = 8 - before.length - after.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const words = [...before, ...Array<number>(missing).fill(0), ...after];
  return words.every((word) => word >= 0) ? words : undefined;
}

/** glibc inet_ntop(AF_INET6): lowercase hex, the first longest run of two or more zero words as `::`, embedded IPv4 for ::ffff:a.b.c.d and ::a.b.c.d. */
export function formatIPv6(address: string): string | undefined {
  const words = ipv6Words(address);
  if (words === undefined) return undefined;
  let best = { base: -1, len: 0 };
  let current = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      current = current.base === -1 ? { base: i, len: 1 } : { base: current.base, len: current.len + 1 };
      if (current.len > best.len) best = current;
    } else {
      current = { base: -1, len: 0 };
    }
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      const [hi = 0, lo = 0] = words.slice(6);
      out += `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
      break;
    }
    out += (words[i] ?? 0).toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}

/** The host name ssh connects to and puts in %h: lowercased, or for an address literal its canonical text. */
export function settleHostname(name: string): string {
  const address = name.split('%')[0] ?? '';
  // Only a name with a colon can be IPv6: Node's isIPv6 compiles a large regexp on first use (~3 ms of every run).
  if (!(address.includes(':') ? isIPv6(address) : isIPv4(address))) return name.toLowerCase();
  if (!name.includes(':') || !isIPv6(name)) return name;
  const zone = name.indexOf('%');
  const canonical = formatIPv6(zone === -1 ? name : name.slice(0, zone));
  if (canonical === undefined) return name;
  const full = zone === -1 ? canonical : canonical + name.slice(zone);
  return full.toLowerCase() === name.toLowerCase() ? name : full;
}
