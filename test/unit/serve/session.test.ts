import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCookies, refuseStateChange, safeNext, sessionCookie, SessionStore } from '../../../src/serve/session.ts';

const origin = 'http://127.0.0.1:8181';

describe('web page sessions', () => {
  it('finds a session by its cookie, and forgets it once expired or destroyed', () => {
    let now = 1000;
    const store = new SessionStore(60_000, 10, () => now);
    const session = store.create({ name: 'admin', role: 'run' });
    const cookie = sessionCookie(session, false).split(';')[0]!;
    assert.equal(store.lookup({ cookie: `other=1; ${cookie}` })?.role, 'run');
    assert.equal(store.lookup({ cookie: 'fab_session=forged' }), undefined);
    now += 60_000;
    assert.equal(store.lookup({ cookie }), undefined);
    const again = store.create({ name: 'viewer', role: 'read' });
    store.destroy(again.id);
    assert.equal(store.lookup({ cookie: `fab_session=${again.id}` }), undefined);
  });

  it('keeps a bounded number of sessions: a login loop evicts the oldest', () => {
    const store = new SessionStore(60_000, 3);
    const first = store.create({ name: 'admin', role: 'run' });
    for (let i = 0; i < 10; i++) store.create({ name: 'admin', role: 'run' });
    assert.equal(store.lookup({ cookie: `fab_session=${first.id}` }), undefined);
  });

  it('sets the cookie HttpOnly and SameSite=Strict, Secure over TLS', () => {
    const session = new SessionStore().create({ name: 'admin', role: 'run' });
    assert.match(sessionCookie(session, true), /^fab_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Secure; Max-Age=\d+$/);
    assert.match(sessionCookie(undefined, false), /^fab_session=; .*Max-Age=0$/);
  });

  it('refuses a state-changing request with the cookie but without the CSRF token, or from another origin', () => {
    const session = new SessionStore().create({ name: 'admin', role: 'run' });
    const base = { method: 'POST', session, ownOrigins: [origin] };
    assert.match(refuseStateChange({ ...base, headers: { origin } })!, /CSRF token is missing/);
    assert.match(refuseStateChange({ ...base, headers: { origin }, formToken: 'guess' })!, /CSRF token is missing or wrong/);
    assert.match(refuseStateChange({ ...base, headers: { origin: 'https://evil.example' }, formToken: session.csrf })!, /origin https:\/\/evil.example is refused/);
    assert.match(refuseStateChange({ ...base, headers: {}, formToken: session.csrf })!, /no Origin is refused/);
    assert.equal(refuseStateChange({ ...base, headers: { origin }, formToken: session.csrf }), undefined);
    assert.equal(refuseStateChange({ ...base, headers: { origin, 'x-csrf-token': session.csrf } }), undefined);
    assert.equal(refuseStateChange({ ...base, method: 'GET', headers: {} }), undefined);
  });

  it('goes back only to a path on this server after logging in', () => {
    assert.equal(safeNext('/runs/3'), '/runs/3');
    for (const bad of ['//evil.example/x', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)', '/a\nb', undefined]) assert.equal(safeNext(bad), '/');
  });

  it('reads cookies as the first of each name', () => {
    assert.deepEqual([...parseCookies('a=1; b = 2;a=3; junk')], [['a', '1'], ['b', '2']]);
  });
});
