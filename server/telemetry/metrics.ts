/**
 * Prometheus metrics (prom-client), served at /api/metrics. Labels are bounded: tool
 * names, risk classes, statuses, verdicts, model ids — never a user id, a run id or an
 * argument value. What describes the whole system (pending approvals, queue depth, runs
 * by status) is not counted per process: it is read from the database at scrape time
 * (cached briefly), so every instance of a deployment reports the same figure.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export const registry = new Registry();

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const LONG_SECONDS = [1, 10, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600];

/** A label value from a bounded set: anything unexpected is `other`, never the raw text. */
export function bounded(value: string | null | undefined, allowed: readonly string[]): string {
  return value && allowed.includes(value) ? value : "other";
}

/** Tool and model names are configuration, not user input; still capped in length and alphabet. */
export function nameLabel(value: string | null | undefined): string {
  if (!value) return "none";
  return /^[A-Za-z0-9_.:\-/]{1,80}$/.test(value) ? value : "other";
}

export const RUN_OUTCOMES = [
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "AWAITING_APPROVAL",
  "LEASE_LOST",
  "NOT_RUNNABLE",
  "INTERRUPTED",
] as const;
export const TOOL_OUTCOMES = [
  "SUCCEEDED",
  "FAILED",
  "REFUSED",
  "CANCELLED",
  "UNKNOWN_OUTCOME",
  "RUNNING",
  "PENDING",
] as const;
export const RISK_CLASSES = ["READ", "SENSITIVE_READ", "DESTRUCTIVE", "DISABLED"] as const;
export const POLICY_DECISIONS = ["ALLOW", "REQUIRE_APPROVAL", "DENY", "INVALID"] as const;
export const VERDICTS = ["APPROVE", "REJECT", "APPROVE_WITH_EDITS"] as const;

export const metrics = {
  runAttempts: new Counter({
    name: "airlock_run_attempts_total",
    help: "Run executions by a worker, by how the attempt ended",
    labelNames: ["outcome"],
    registers: [registry],
  }),
  runDuration: new Histogram({
    name: "airlock_run_duration_seconds",
    help: "Wall-clock time of one run attempt on a worker",
    labelNames: ["outcome"],
    buckets: SECONDS,
    registers: [registry],
  }),
  stepDuration: new Histogram({
    name: "airlock_step_duration_seconds",
    help: "One step: the model call, the decisions, the commit and the tools started with it",
    buckets: SECONDS,
    registers: [registry],
  }),
  modelCallDuration: new Histogram({
    name: "airlock_model_call_duration_seconds",
    help: "One model call attempt (streamed), by model and result",
    labelNames: ["model", "result"],
    buckets: SECONDS,
    registers: [registry],
  }),
  modelTokens: new Counter({
    name: "airlock_model_tokens_total",
    help: "Tokens reported by the provider, by model and direction",
    labelNames: ["model", "direction"],
    registers: [registry],
  }),
  toolCalls: new Counter({
    name: "airlock_tool_calls_total",
    help: "Tool call executions, by tool, risk class and outcome",
    labelNames: ["tool", "risk_class", "outcome"],
    registers: [registry],
  }),
  toolDuration: new Histogram({
    name: "airlock_tool_call_duration_seconds",
    help: "Execution time of one tool call, by tool",
    labelNames: ["tool"],
    buckets: SECONDS,
    registers: [registry],
  }),
  policyDecisions: new Counter({
    name: "airlock_policy_decisions_total",
    help: "Policy evaluations of proposed and about-to-run calls, by decision",
    labelNames: ["decision", "risk_class"],
    registers: [registry],
  }),
  approvalDecisions: new Counter({
    name: "airlock_approval_decisions_total",
    help: "Reviewer decisions on approval requests, by verdict",
    labelNames: ["verdict"],
    registers: [registry],
  }),
  approvalWait: new Histogram({
    name: "airlock_approval_wait_seconds",
    help: "Time from an approval request to the reviewer's decision",
    labelNames: ["verdict"],
    buckets: LONG_SECONDS,
    registers: [registry],
  }),
  approvalsClosed: new Counter({
    name: "airlock_approvals_closed_total",
    help: "Approval requests that ended without being used, by why",
    labelNames: ["reason"],
    registers: [registry],
  }),
  runClaimLatency: new Histogram({
    name: "airlock_run_claim_latency_seconds",
    help: "Time from a run being queued to a worker starting its first attempt",
    buckets: SECONDS,
    registers: [registry],
  }),
  leaseReclaims: new Counter({
    name: "airlock_lease_reclaims_total",
    help: "Runs claimed after their previous worker's lease expired (it died or lost the database)",
    registers: [registry],
  }),
  runsFailedAfterRecoveries: new Counter({
    name: "airlock_runs_failed_after_recoveries_total",
    help: "Runs failed because they were interrupted more often than RUN_MAX_RECOVERIES allows",
    registers: [registry],
  }),
  eventStreamSubscribers: new Gauge({
    name: "airlock_event_stream_subscribers",
    help: "Open live run-event streams on this instance",
    registers: [registry],
  }),
  /** One series per server and state, 1 for the state it is in: server names are admin-chosen lower_snake, bounded in number. */
  mcpServerStatus: new Gauge({
    name: "airlock_mcp_server_status",
    help: "This instance's connection to each MCP server: 1 for its current state (CONNECTING, READY, FAILED, STOPPED)",
    labelNames: ["server", "state"],
    registers: [registry],
  }),
  mcpServerTools: new Gauge({
    name: "airlock_mcp_server_tools",
    help: "Tools each MCP server listed at this instance's last tools/list",
    labelNames: ["server"],
    registers: [registry],
  }),
};

export const MCP_CONNECTION_STATES = ["CONNECTING", "READY", "FAILED", "STOPPED"] as const;

/** Sets the server's state series (one 1, the others 0), or removes them when the server is gone. */
export function reportMcpServerState(
  server: string,
  state: (typeof MCP_CONNECTION_STATES)[number] | null,
  toolCount?: number,
) {
  const label = nameLabel(server);
  for (const each of MCP_CONNECTION_STATES) {
    if (state === null) metrics.mcpServerStatus.remove({ server: label, state: each });
    else metrics.mcpServerStatus.set({ server: label, state: each }, each === state ? 1 : 0);
  }
  if (state === null) metrics.mcpServerTools.remove({ server: label });
  else if (toolCount !== undefined) metrics.mcpServerTools.set({ server: label }, toolCount);
}

/** Whole-system figures read from the database at scrape time (see the header). */
export interface SystemFigures {
  pendingApprovals: number;
  oldestPendingApprovalSeconds: number;
  queuedRuns: number;
  runsByStatus: Record<string, number>;
  unknownOutcomeCalls: number;
}

const FIGURES_TTL_MS = 5_000;
let figuresSource: (() => Promise<SystemFigures>) | null = null;
let cachedFigures: { at: number; value: Promise<SystemFigures> } | null = null;

/** The API layer hands in the database reader (telemetry sits below the database). */
export function setSystemFiguresSource(source: () => Promise<SystemFigures>): void {
  figuresSource = source;
  cachedFigures = null;
}

async function systemFigures(): Promise<SystemFigures | null> {
  if (!figuresSource) return null;
  const now = Date.now();
  if (!cachedFigures || now - cachedFigures.at > FIGURES_TTL_MS) {
    const value = figuresSource();
    cachedFigures = { at: now, value };
    value.catch(() => {
      cachedFigures = null;
    });
  }
  return cachedFigures.value;
}

const RUN_STATUSES = ["QUEUED", "RUNNING", "AWAITING_APPROVAL", "COMPLETED", "FAILED", "CANCELLED"];

const systemGauges = {
  pending: new Gauge({
    name: "airlock_approvals_pending",
    help: "Approval requests waiting for a reviewer (whole system)",
    registers: [registry],
  }),
  oldest: new Gauge({
    name: "airlock_approvals_oldest_pending_seconds",
    help: "Age of the oldest pending approval request (whole system)",
    registers: [registry],
  }),
  queue: new Gauge({
    name: "airlock_run_queue_depth",
    help: "Runs queued and not yet claimed by a worker (whole system)",
    registers: [registry],
  }),
  runs: new Gauge({
    name: "airlock_runs",
    help: "Runs by status (whole system)",
    labelNames: ["status"],
    registers: [registry],
  }),
  unknown: new Gauge({
    name: "airlock_tool_calls_unknown_outcome",
    help: "Tool calls whose outcome is unknown and waits for a human (whole system)",
    registers: [registry],
  }),
};

/** The exposition text, with the system gauges refreshed from the (cached) database figures. */
export async function metricsText(): Promise<string> {
  const figures = await systemFigures();
  if (figures) {
    systemGauges.pending.set(figures.pendingApprovals);
    systemGauges.oldest.set(figures.oldestPendingApprovalSeconds);
    systemGauges.queue.set(figures.queuedRuns);
    for (const status of RUN_STATUSES) systemGauges.runs.set({ status }, figures.runsByStatus[status] ?? 0);
    systemGauges.unknown.set(figures.unknownOutcomeCalls);
  }
  return registry.metrics();
}

export const METRICS_CONTENT_TYPE = registry.contentType;
