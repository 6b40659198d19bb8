import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseListing } from '../../../../src/ops/file-access/exec-fs.ts';
import { ListingRefused, SftpError } from '../../../../src/sftp/session.ts';

const FILE = '81a4 3 1000 1000 1700000000 1700000001';
const DIR = '41ed 4096 0 0 1700000000 1700000000';

describe('parseListing (a host without SFTP lists a directory)', () => {
  it('reads name and stat pairs: odd bytes kept, . and .. skipped, types and modes from the raw mode', () => {
    const entries = parseListing(`${FILE}\0it's $(x)\nb ü\0${DIR}\0sub\0${DIR}\0.\0${DIR}\0..\0`, '/d', 10);
    assert.deepEqual(entries.map((entry) => entry.filename), ["it's $(x)\nb ü", 'sub']);
    assert.equal(entries[0]!.attrs.isFile(), true);
    assert.equal(entries[0]!.attrs.mode & 0o7777, 0o644);
    assert.equal(entries[0]!.attrs.size, 3);
    assert.equal(entries[1]!.attrs.isDirectory(), true);
  });

  it('refuses the whole listing for a name that is not one path component, a pair cut short, or junk stat fields', () => {
    for (const hostile of [`${FILE}\0../../escaped\0`, `${FILE}\0a/b\0`, `${FILE}\0\0`, `${FILE}\0ok\0${FILE}`]) {
      assert.throws(() => parseListing(hostile, '/d', 10), ListingRefused, JSON.stringify(hostile));
    }
    assert.throws(() => parseListing(`rm -rf /\0x\0`, '/d', 10), (error: unknown) => error instanceof SftpError && /not the fields asked for/.test(error.message));
  });

  it('stops past maxListing', () => {
    const many = Array.from({ length: 4 }, (_, i) => `${FILE}\0f${i}\0`).join('');
    assert.equal(parseListing(many, '/d', 4).length, 4);
    assert.throws(() => parseListing(many, '/d', 3), /lists more than 3 entries; raise env.maxListing/);
  });
});
