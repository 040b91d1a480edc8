// Keeps the module picture in ../shared/STYLE.md true:
// env ← telemetry ← db ← {auth, audit, crypto} ← {tools, mcp, approvals, models} ← agent ← api ← app/
// models and tools meet only in agent/ (crypto/ is what both need of encryption).
// policy is pure; components/ import only `type AppRouter` and server/shared.
const layer = (name) => `^server/${name}/`;

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      from: { path: "^(server|components|app)/" },
      to: { circular: true, viaOnly: { pathNot: "^server/db/generated/" } },
    },
    {
      name: "policy-is-pure",
      comment: "policy/ decides from values only: no I/O, no other server module but shared types",
      severity: "error",
      from: { path: layer("policy") },
      to: { path: "^(server/(?!policy/|shared/)|node:|pg$|@prisma)", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "shared-imports-nothing",
      severity: "error",
      from: { path: layer("shared") },
      to: { path: "^server/(?!shared/)" },
    },
    {
      name: "env-is-the-bottom",
      severity: "error",
      from: { path: "^server/env\\.ts$" },
      to: { path: "^server/(?!env\\.ts$)" },
    },
    {
      name: "telemetry-below-db",
      severity: "error",
      from: { path: layer("telemetry") },
      to: { path: "^server/(db|auth|audit|crypto|tools|mcp|approvals|agent|api|models|policy)/" },
    },
    {
      name: "db-below-services",
      severity: "error",
      from: { path: layer("db") },
      to: { path: "^server/(audit|crypto|tools|mcp|approvals|agent|api|models)/" },
    },
    {
      name: "crypto-below-services",
      comment: "crypto/ seals stored secrets for tools/ and models/ alike: it knows neither",
      severity: "error",
      from: { path: layer("crypto") },
      to: { path: "^server/(auth|audit|tools|mcp|approvals|agent|api|models)/" },
    },
    {
      name: "models-and-tools-meet-in-agent",
      comment: "models/ and tools/ never import each other; agent/ (and server/testing for tests) joins them",
      severity: "error",
      from: { path: "^server/models/" },
      to: { path: "^server/tools/" },
    },
    {
      name: "tools-and-models-meet-in-agent",
      comment: "the other direction of models-and-tools-meet-in-agent",
      severity: "error",
      from: { path: "^server/tools/" },
      to: { path: "^server/models/" },
    },
    {
      name: "auth-audit-below-tools",
      severity: "error",
      from: { path: "^server/(auth|audit)/" },
      to: { path: "^server/(tools|mcp|approvals|agent|api|http-api)/" },
    },
    {
      name: "tools-below-agent",
      severity: "error",
      from: { path: "^server/(tools|mcp|approvals|models)/" },
      to: { path: "^server/(agent|api|http-api)/" },
    },
    {
      name: "agent-below-api",
      severity: "error",
      from: { path: layer("agent") },
      to: { path: "^server/(api|http-api)/" },
    },
    {
      name: "server-never-imports-ui",
      severity: "error",
      from: { path: "^server/" },
      to: { path: "^(app|components)/" },
    },
    {
      name: "only-db-touches-prisma",
      severity: "error",
      from: { path: "^(server/(?!db/)|app/|components/|scripts/)", pathNot: "^server/testing/" },
      to: { path: "(^server/db/generated/|@prisma/client|@prisma/adapter-pg)" },
    },
    {
      name: "components-reach-server-through-trpc",
      comment: "components import only type AppRouter and server/shared",
      severity: "error",
      from: { path: "^components/" },
      to: { path: "^server/(?!shared/|api/root\\.ts$)" },
    },
    {
      name: "components-import-router-types-only",
      severity: "error",
      from: { path: "^components/" },
      to: { path: "^server/api/root\\.ts$", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "app-reaches-server-through-trpc",
      comment: "pages and route handlers call tRPC (or next-auth), never services directly",
      severity: "error",
      from: { path: "^app/" },
      to: { path: "^server/(?!api/|http-api/|auth/options\\.ts$|db/health\\.ts$)" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^server/db/generated/|\\.next/)" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
