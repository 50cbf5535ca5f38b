import { adoptFragmentKey, keyFromFragment, type KeyStorage, storedKey, storeKey } from './auth';

function memoryStorage(): KeyStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => void items.set(k, v),
    removeItem: (k) => void items.delete(k),
  };
}

describe('the key in the URL fragment', () => {
  it('is read from #key= and the rest of the fragment kept', () => {
    expect(keyFromFragment('#key=cnpy_abc-_1')).toEqual({ key: 'cnpy_abc-_1', rest: '' });
    expect(keyFromFragment('#tab=events&key=k1')).toEqual({ key: 'k1', rest: '#tab=events' });
    expect(keyFromFragment('#tab=events')).toEqual({ key: undefined, rest: '#tab=events' });
    expect(keyFromFragment('')).toEqual({ key: undefined, rest: '' });
  });

  it('moves into session storage and out of the address bar', () => {
    const storage = memoryStorage();
    const urls: string[] = [];
    adoptFragmentKey({ hash: '#key=secret', pathname: '/studio/executions/x', search: '?a=1' }, { replaceState: (_d, _u, url) => urls.push(url) }, storage);
    expect(storedKey(storage)).toBe('secret');
    expect(urls).toEqual(['/studio/executions/x?a=1']);
  });

  it('leaves the address bar alone when there is no key, and can forget a key', () => {
    const storage = memoryStorage();
    const urls: string[] = [];
    adoptFragmentKey({ hash: '', pathname: '/studio', search: '' }, { replaceState: (_d, _u, url) => urls.push(url) }, storage);
    expect(urls).toEqual([]);
    storeKey(storage, 'k');
    expect(storedKey(storage)).toBe('k');
    storeKey(storage, undefined);
    expect(storedKey(storage)).toBeUndefined();
  });
});
