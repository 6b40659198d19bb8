/**
 * Leading doc comments by the name they document, read from the fabfile's source text (transpiled
 * code has lost its comments). Handles `export function x`, `export const x =`, and `x:` / `x(` members.
 */
export function docComments(source: string): Map<string, string> {
  const docs = new Map<string, string>();
  const pattern =
    /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function\s*\*?\s*([A-Za-z_$][\w$]*)|(?:const|let|var)\s+([A-Za-z_$][\w$]*)|([A-Za-z_$][\w$]*)\s*[:(])/g;
  for (const match of source.matchAll(pattern)) {
    const name = match[2] ?? match[3] ?? match[4];
    if (!name || docs.has(name)) continue;
    const text = match[1]!
      .split('\n')
      .map((line) => line.replace(/^\s*\*?\s?/, '').trimEnd())
      .join('\n')
      .trim();
    // The first paragraph, without @tags, is the description.
    const description = text.split(/\n\s*\n|\n\s*@/)[0]!.replace(/\s*\n\s*/g, ' ').trim();
    if (description) docs.set(name, description);
  }
  return docs;
}
