/**
 * The seam between the admin services and this process's connection manager: after an
 * admin's change commits, the manager running here (if any) reloads at once, so the next
 * call sees it without waiting for its own NOTIFY. Other instances follow the NOTIFY.
 */
type Reload = () => Promise<void>;

const globalForMcp = globalThis as unknown as { airlockMcpReload?: Reload };

export function onMcpConfigChange(reload: Reload | undefined): void {
  globalForMcp.airlockMcpReload = reload;
}

export async function afterMcpConfigChange(): Promise<void> {
  await globalForMcp.airlockMcpReload?.();
}
