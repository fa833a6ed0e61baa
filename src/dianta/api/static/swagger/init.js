// Swagger UI on Dianta's OpenAPI document, started from a file of our own origin: the docs' CSP allows no inline
// script and no other origin. validatorUrl null: no badge fetched from an outside validator.
window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
