// The shell: sign-in gate, header (who, connection state, sign out) and the two views by route.
// The token lives in sessionStorage (auth/session.ts) and nowhere else.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiContext, useConnectionState } from "../api/context";
import type { StoreFilters } from "../api/types";
import { SignIn } from "../auth/SignIn";
import { clearToken, loadToken, saveToken } from "../auth/session";
import { StoreDetail } from "../detail/StoreDetail";
import { StoresPage } from "../stores/StoresPage";
import { ConnectionIndicator } from "../ui/ConnectionIndicator";
import { useRoute } from "./route";
import { openSession, type Session } from "./session";

const NO_FILTERS: StoreFilters = { status: null, engine: null, search: "" };

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(() => loadToken() !== null);
  const [notice, setNotice] = useState<string | null>(null);
  const current = useRef<Session | null>(null);

  const signOut = useCallback((reason: string | null) => {
    current.current?.api.live.dispose();
    current.current = null;
    clearToken();
    setSession(null);
    setNotice(reason);
  }, []);

  const signIn = useCallback(
    async (token: string) => {
      const opened = await openSession(token, {
        onUnauthenticated: () => signOut("The server no longer accepts your token. Sign in again."),
      });
      saveToken(token);
      // A second sign-in (React's strict mode runs the restore twice) replaces the first socket.
      current.current?.api.live.dispose();
      current.current = opened;
      setSession(opened);
      setNotice(null);
    },
    [signOut],
  );

  useEffect(() => {
    const token = loadToken();
    if (!token) return;
    signIn(token).catch(() => signOut("Your saved token was not accepted. Sign in again.")).finally(() => setRestoring(false));
  }, [signIn, signOut]);

  if (restoring && !session) return <p className="splash" role="status">Signing in…</p>;
  if (!session) return <SignIn onSignIn={signIn} notice={notice} />;
  return (
    <ApiContext.Provider value={session.api}>
      <Shell session={session} onSignOut={() => signOut("Signed out.")} />
    </ApiContext.Provider>
  );
}

function Shell({ session, onSignOut }: { session: Session; onSignOut(): void }) {
  const route = useRoute();
  const connection = useConnectionState();
  const [filters, setFilters] = useState<StoreFilters>(NO_FILTERS);
  const who = session.me.admin ? "admin (all tenants)" : `tenant ${session.me.tenant}`;
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <a className="brand" href="#/">storeplane</a>
        <p className="who">Signed in as <strong>{who}</strong></p>
        <ConnectionIndicator state={connection} />
        <button type="button" onClick={onSignOut}>Sign out</button>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === "store" ? (
          <StoreDetail key={route.id} id={route.id} />
        ) : (
          <StoresPage plans={session.plans} filters={filters} onFiltersChange={setFilters} />
        )}
      </main>
    </>
  );
}
