// The two places of the app, kept in the URL fragment (#/ and #/stores/<id>) so back/forward and
// links work; it carries store ids only, never the token. Read by App.
import { useEffect, useState } from "react";

export type Route = { page: "list" } | { page: "store"; id: string };

export function parseRoute(hash: string): Route {
  const match = /^#\/stores\/([^/?#]+)$/.exec(hash);
  return match?.[1] ? { page: "store", id: decodeURIComponent(match[1]) } : { page: "list" };
}

export function storeHref(id: string): string {
  return `#/stores/${encodeURIComponent(id)}`;
}

export const LIST_HREF = "#/";

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
