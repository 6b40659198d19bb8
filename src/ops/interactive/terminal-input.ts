import { StringDecoder } from 'node:string_decoder';
import { FabError } from '../../errors.ts';
import { interruptRun, interruptedError } from '../command/abort.ts';
import type { Terminal } from './terminal.ts';

const ENTER = new Set(['\r', '\n']);
const ERASE = new Set(['\x7f', '\b']);
const CTRL_C = '\x03';
const CTRL_D = '\x04';
const CTRL_U = '\x15';

/**
 * Reads one line typed at the terminal, in raw mode so that a secret is never echoed and Ctrl-C is
 * seen as such. Visible answers are echoed here, with backspace and Ctrl-U working. Keys typed ahead
 * of the Enter are put back for the next question. The terminal mode is restored however it ends.
 */
export function readLine(terminal: Terminal, options: { secret: boolean }): Promise<string> {
  const { input, questions } = terminal;
  const wasRaw = input.isRaw ?? false;
  const decoder = new StringDecoder('utf8');
  let answer = '';
  input.setRawMode?.(true);
  return new Promise<string>((resolve, reject) => {
    const finish = (outcome: { answer: string } | { error: Error }, rest = '') => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.setRawMode?.(wasRaw);
      if (rest) input.unshift(Buffer.from(rest));
      input.pause();
      questions.write('\n');
      if ('error' in outcome) reject(outcome.error);
      else resolve(outcome.answer);
    };
    const onData = (bytes: Buffer) => {
      const text = decoder.write(bytes);
      for (let index = 0; index < text.length; index++) {
        const char = text[index]!;
        if (ENTER.has(char)) return finish({ answer }, text.slice(index + 1).replace(/^\n/, ''));
        if (char === CTRL_C) {
          finish({ error: interruptedError() });
          // The same as Ctrl-C anywhere else (raw mode turned it into a key): the run is interrupted, not just this question.
          void interruptRun();
          return;
        }
        if (char === CTRL_D && answer === '') return finish({ error: new FabError('PROMPT', 'no answer given (end of input, Ctrl-D)') });
        if (ERASE.has(char)) {
          if (answer && !options.secret) questions.write('\b \b');
          answer = [...answer].slice(0, -1).join('');
        } else if (char === CTRL_U) {
          if (!options.secret) questions.write('\b \b'.repeat([...answer].length));
          answer = '';
        } else if (char >= ' ') {
          answer += char;
          if (!options.secret) questions.write(char);
        }
      }
    };
    const onEnd = () => finish({ error: new FabError('PROMPT', 'no answer given (the terminal closed its input)') });
    const onError = (error: Error) => finish({ error: new FabError('PROMPT', `could not read from the terminal: ${error.message}`, { cause: error }) });
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onError);
    input.resume();
  });
}
