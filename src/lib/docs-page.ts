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
    <script id="api-reference" data-url="${openApiUrl}" data-configuration='{"withDefaultFonts":false}'></script>
    <!-- Served from the Worker's static assets (scripts/build-console.ts): works offline. -->
    <script src="/vendor/scalar-api-reference.js"></script>
  </body>
</html>`;
}
