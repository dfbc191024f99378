// Where the API token lives between page loads of one browser tab: sessionStorage only (gone when
// the tab closes, never in the URL, never in localStorage). Read by App at start and by SignIn.
const KEY = "storeplane.token";

export function loadToken(storage: Storage = window.sessionStorage): string | null {
  const token = storage.getItem(KEY);
  return token && token.trim() !== "" ? token : null;
}

export function saveToken(token: string, storage: Storage = window.sessionStorage): void {
  storage.setItem(KEY, token.trim());
}

export function clearToken(storage: Storage = window.sessionStorage): void {
  storage.removeItem(KEY);
}
