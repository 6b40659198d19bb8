// Helpers for file transfer tests. The test hosts share this machine's file system, so a test can look at the
// "remote" side directly, as root, to check what a transfer really wrote.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { events, type FabEvent } from '../../src/report/events.ts';
import type { Testbed } from '../hosts/testbed.ts';

/** A fresh directory under the test bed's remote dir, owned by the test user (as a remote user would have it). */
export function remoteScratch(tb: Testbed, name: string): string {
  const dir = path.join(tb.remoteDir, `${name}-${randomBytes(3).toString('hex')}`);
  fs.mkdirSync(dir);
  fs.chownSync(dir, tb.uid, tb.uid);
  return dir;
}

/** Writes a file as the test user would own it. */
export function writeAsUser(tb: Testbed, file: string, content: string | Buffer, mode = 0o644): void {
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
  fs.chownSync(file, tb.uid, tb.uid);
}

/** A fresh local directory. */
export function localScratch(prefix = 'fabts-transfer-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Permission bits of a path. */
export function modeOf(file: string): number {
  return fs.statSync(file).mode & 0o7777;
}

/** Names in a directory that look like fabts temp files (`.x.fabts-1a2b3c4d.tmp|.part`). */
export function tempFilesIn(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => /\.fabts-[0-9a-f]{8}\.(tmp|part)$/.test(name));
}

/** Runs a shell command locally as root (to set up root-owned files for useSudo tests). */
export function asRoot(command: string): string {
  const result = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command}: ${result.stderr}`);
  return result.stdout;
}

export function recordEvents(): { list: FabEvent[]; stop: () => void } {
  const list: FabEvent[] = [];
  const stop = events.subscribe((event) => list.push(event));
  return { list, stop };
}

/** Random bytes: content no transfer could get right by accident. */
export function randomContent(bytes: number): Buffer {
  return randomBytes(bytes);
}
