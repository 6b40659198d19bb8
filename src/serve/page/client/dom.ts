// Draws a VNode tree into the DOM and keeps it in step with the next tree by changing only what differs: elements
// stay (so focus, scroll and a half-made selection survive an update), text changes in place. Text is only ever set
// as a text node's value: what a host prints cannot become markup here either.
import type { Attrs, VNode } from '../model/vnode.ts';

function attrValue(value: Attrs[string]): string | null {
  if (value === false || value === null || value === undefined) return null;
  return value === true ? '' : String(value);
}

export function create(node: VNode | string): Node {
  if (typeof node === 'string') return document.createTextNode(node);
  const element = document.createElement(node.tag);
  for (const [name, value] of Object.entries(node.attrs)) {
    const text = attrValue(value);
    if (text !== null) element.setAttribute(name, text);
  }
  for (const child of node.children) element.appendChild(create(child));
  return element;
}

function replace(dom: Node, node: VNode | string): Node {
  const fresh = create(node);
  dom.parentNode?.replaceChild(fresh, dom);
  return fresh;
}

export function patch(dom: Node, node: VNode | string): Node {
  if (typeof node === 'string') {
    if (dom.nodeType !== Node.TEXT_NODE) return replace(dom, node);
    if (dom.nodeValue !== node) dom.nodeValue = node;
    return dom;
  }
  if (!(dom instanceof Element) || dom.localName !== node.tag) return replace(dom, node);
  for (const name of dom.getAttributeNames()) if (attrValue(node.attrs[name]) === null) dom.removeAttribute(name);
  for (const [name, value] of Object.entries(node.attrs)) {
    const text = attrValue(value);
    if (text !== null && dom.getAttribute(name) !== text) dom.setAttribute(name, text);
  }
  node.children.forEach((child, i) => {
    const existing = dom.childNodes[i];
    if (existing) patch(existing, child);
    else dom.appendChild(create(child));
  });
  while (dom.childNodes.length > node.children.length) dom.lastChild?.remove();
  return dom;
}
