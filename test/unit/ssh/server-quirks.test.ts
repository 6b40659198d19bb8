import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionLimitFor } from '../../../src/ssh/server-quirks.ts';

describe('sessionLimitFor', () => {
  it('one session channel at a time on Dropbear before 2024.86, no limit of its own otherwise', () => {
    assert.equal(sessionLimitFor('dropbear_2022.83'), 1);
    assert.equal(sessionLimitFor('dropbear_2020.81'), 1);
    assert.equal(sessionLimitFor('dropbear_2024.85'), 1);
    assert.equal(sessionLimitFor('dropbear_2024.86'), undefined);
    assert.equal(sessionLimitFor('dropbear_2025.88'), undefined);
    assert.equal(sessionLimitFor('OpenSSH_9.2p1'), undefined);
    assert.equal(sessionLimitFor(undefined), undefined);
  });
});
