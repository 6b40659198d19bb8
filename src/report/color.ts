/** Whether to color: --no-color and NO_COLOR switch it off, FORCE_COLOR on, else only on a terminal. */
export function colorSupported(stream: { isTTY?: boolean }, noColorFlag = false): boolean {
  if (noColorFlag) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (process.env.TERM === 'dumb') return false;
  return Boolean(stream.isTTY);
}

const CODES = { red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39], dim: [2, 22], bold: [1, 22] } as const;
export type Color = keyof typeof CODES;

export function paint(enabled: boolean, color: Color, text: string): string {
  if (!enabled) return text;
  const [open, close] = CODES[color];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}
