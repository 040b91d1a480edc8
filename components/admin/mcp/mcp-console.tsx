"use client";
/**
 * The MCP servers of the admin console: each server's settings (secrets only as "set"),
 * live status per instance (connecting, ready, failed with the last error and when), tool
 * count and last tools/list, enable/disable, test connection, edit, delete — and its tools
 * with their class: "new — confirm class", or "definition changed" with the diff.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../trpc";
import { Button } from "../../ui/button";
import { Card, PageHeader } from "../../ui/card";
import { ConfirmDialog } from "../../ui/dialog";
import { ErrorNotice, SuccessNotice } from "../../ui/notice";
import { EmptyState, LoadingRows } from "../../ui/status";
import { ServerCard } from "./server-card";
import { ServerFormDialog } from "./server-form";
import type { AdminMcpServer } from "./types";

/** Live status: the connection manager writes it as it changes; the page follows within seconds. */
const STATUS_REFRESH_MS = 3_000;

export function McpConsole() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const servers = useQuery({ ...trpc.admin.mcpServers.list.queryOptions(), refetchInterval: STATUS_REFRESH_MS });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.admin.mcpServers.pathKey() });
  const [editing, setEditing] = useState<{ server: AdminMcpServer | null; generation: number } | null>(null);
  const [deletingId, setDeletingId] = useState<string | null>(null);
  // The server as listed now: a reload after a conflict deletes the version just read.
  const deleting = servers.data?.find((server) => server.id === deletingId) ?? null;
  const setDeleting = (server: AdminMcpServer | null) => setDeletingId(server?.id ?? null);
  const [notice, setNotice] = useState<string | null>(null);
  const remove = useMutation(
    trpc.admin.mcpServers.delete.mutationOptions({
      onSuccess: async () => {
        setNotice(`Deleted ${deleting?.name}; calls to its tools are refused from now on.`);
        setDeleting(null);
        await refresh();
      },
    }),
  );

  return (
    <div className="mx-auto max-w-5xl space-y-5 p-3 sm:p-6">
      <PageHeader
        title="MCP servers"
        description="Tools of MCP servers pass the same gate as built-in ones: classified, decided by policy, approved when destructive, audited. A tool Airlock has not seen needs an admin to confirm its class; a tool whose definition changes is flagged and needs confirming again."
        actions={
          <Button variant="primary" onClick={() => setEditing({ server: null, generation: 0 })}>
            Register server
          </Button>
        }
      />
      {notice ? <SuccessNotice>{notice}</SuccessNotice> : null}
      <ErrorNotice error={servers.error} />
      {servers.isPending ? <LoadingRows rows={3} label="Loading MCP servers" /> : null}
      {servers.data && servers.data.length === 0 ? (
        <Card>
          <EmptyState
            title="No MCP servers registered"
            body="Register a stdio command (e.g. npx @modelcontextprotocol/server-filesystem /srv/shared) or a Streamable HTTP URL; its tools appear here for you to confirm."
          />
        </Card>
      ) : null}
      {servers.data?.map((server) => (
        <ServerCard
          key={server.id}
          server={server}
          onChanged={async (message) => {
            if (message) setNotice(message);
            await refresh();
          }}
          onEdit={() => setEditing({ server, generation: 0 })}
          onDelete={() => setDeleting(server)}
        />
      ))}
      {editing ? (
        <ServerFormDialog
          key={`${editing.server?.id ?? "new"}-${editing.generation}`}
          server={editing.server}
          onClose={() => setEditing(null)}
          onSaved={async (message) => {
            setEditing(null);
            setNotice(message);
            await refresh();
          }}
          onReload={async () => {
            // Someone else saved first: start again from their version.
            const fresh = await servers.refetch();
            const current = fresh.data?.find((server) => server.id === editing.server?.id) ?? null;
            setEditing({ server: current, generation: editing.generation + 1 });
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          body={
            <p>
              Its {deleting.tools.length} tool{deleting.tools.length === 1 ? "" : "s"} disappear from the agent; calls
              to them are refused as unknown tools. The deletion is audited.
            </p>
          }
          confirmLabel="Delete server"
          pendingLabel="Deleting…"
          pending={remove.isPending}
          error={remove.error}
          onReload={refresh}
          onConfirm={() => remove.mutate({ serverId: deleting.id, expectedVersion: deleting.version })}
          onCancel={() => setDeleting(null)}
        />
      ) : null}
    </div>
  );
}
