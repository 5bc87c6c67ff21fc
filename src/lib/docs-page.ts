/*
 * Only what works from this server alone: Scalar's hosted services (the AI agent, the developer
 * toolbar with its Configure / Share / Deploy menus, the link to the hosted API client) need Scalar's
 * servers, so they are switched off; "Test Request" stays, as it calls this API from the page.
 * Option names are Scalar 1.46's (the pinned version); the browser test of /docs checks their effect.
 */
const REFERENCE_CONFIGURATION = {
  withDefaultFonts: false,
  showDeveloperTools: "never",
  agent: { disabled: true },
  hideClientButton: true,
  telemetry: false,
};

/** The interactive API reference (Scalar), rendering the generated OpenAPI document. */
export function docsPage(openApiUrl: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Credit Approval API reference</title>
  </head>
  <body>
    <script id="api-reference" data-url="${openApiUrl}" data-configuration='${JSON.stringify(REFERENCE_CONFIGURATION)}'></script>
    <!-- Served from the Worker's static assets (scripts/build-console.ts): works offline. -->
    <script src="/vendor/scalar-api-reference.js"></script>
  </body>
</html>`;
}
