import { buildAssetsIfNeeded } from "../../scripts/lib/assets";

// The `node-server` project's global set-up: public/ built once, before the files start their
// servers, so no two `npm run serve` processes build it at the same time (`npm test` has built
// it already; a single file run may not have).
export default async function setup(): Promise<void> {
  await buildAssetsIfNeeded();
}
