/**
 * Every path no other route matches. Without this route Remix answers a 404 before any loader runs,
 * so the root ErrorBoundary would show a signed-in user the signed-out header.
 */
export function loader() {
  throw new Response("Not found", { status: 404 });
}

export default function NotFound() {
  return null;
}
