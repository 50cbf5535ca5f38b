// The API key for this browser session (docs/security.md): `npm start` prints
// `/studio#key=<key>`. The fragment never reaches a server; Studio moves the key into
// sessionStorage (gone when the tab closes) and takes it out of the address bar, so it is not
// left in the history or in a screenshot.

const STORAGE_KEY = 'canopy.studio.key';

export interface KeyStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The key in a URL fragment (`#key=...`, other fragment parameters kept), and the fragment left. */
export function keyFromFragment(hash: string): { key?: string; rest: string } {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const key = params.get('key')?.trim();
  params.delete('key');
  const rest = params.toString();
  return { key: key ? key : undefined, rest: rest ? `#${rest}` : '' };
}

/**
 * Reads the fragment once at start: a key there replaces the stored one and is removed from the
 * address bar (`replaceState`, no navigation).
 */
export function adoptFragmentKey(
  location: { hash: string; pathname: string; search: string },
  history: { replaceState(data: unknown, unused: string, url: string): void },
  storage: KeyStorage,
): void {
  const { key, rest } = keyFromFragment(location.hash);
  if (!key) return;
  storage.setItem(STORAGE_KEY, key);
  history.replaceState(null, '', `${location.pathname}${location.search}${rest}`);
}

export function storedKey(storage: KeyStorage): string | undefined {
  return storage.getItem(STORAGE_KEY) ?? undefined;
}

export function storeKey(storage: KeyStorage, key: string | undefined): void {
  if (key) storage.setItem(STORAGE_KEY, key);
  else storage.removeItem(STORAGE_KEY);
}
