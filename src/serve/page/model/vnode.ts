// A tiny description of markup that both sides draw from: the server writes it as escaped HTML (toHtml), the browser
// patches the DOM with it (client/dom.ts). Text is always text: there is no way to put raw HTML in a VNode, so output
// from a host (`<script>`) can only ever be shown, never run.

export type Attrs = Record<string, string | number | boolean | null | undefined>;
export type Child = VNode | string | number | null | undefined | false | Child[];
export interface VNode {
  tag: string;
  attrs: Attrs;
  children: (VNode | string)[];
}

function flatten(children: Child[], out: (VNode | string)[] = []): (VNode | string)[] {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) flatten(child, out);
    else out.push(typeof child === 'number' ? String(child) : child);
  }
  return out;
}

export function h(tag: string, attrs: Attrs | null, ...children: Child[]): VNode {
  return { tag, attrs: attrs ?? {}, children: flatten(children) };
}

const VOID = new Set(['br', 'hr', 'img', 'input', 'link', 'meta', 'source', 'wbr']);
const NAME = /^[a-z][a-z0-9-]*$/;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Serialises a tree. Tag and attribute names come from this code, never from data; anything else is escaped. */
export function toHtml(node: VNode | string): string {
  if (typeof node === 'string') return escapeHtml(node);
  if (!NAME.test(node.tag)) throw new Error(`not a tag name: ${node.tag}`);
  let out = `<${node.tag}`;
  for (const [name, value] of Object.entries(node.attrs)) {
    if (!NAME.test(name) || name.startsWith('on')) throw new Error(`not an attribute this page writes: ${name}`);
    if (value === false || value === null || value === undefined) continue;
    out += value === true ? ` ${name}` : ` ${name}="${escapeHtml(String(value))}"`;
  }
  out += '>';
  if (VOID.has(node.tag)) return out;
  for (const child of node.children) out += toHtml(child);
  return `${out}</${node.tag}>`;
}
