/** A control button's request: POST with the admin token and the header that proves it comes from this page. */
import { CONTROL_HEADER, type ControlAction, type ControlReply } from "../../ctl/actions";

export async function sendControl(action: ControlAction, headers: Record<string, string>, name?: string): Promise<ControlReply> {
  try {
    const response = await fetch(`/api/admin/control/${action}`, {
      method: "POST",
      headers: { ...headers, [CONTROL_HEADER]: "1", "content-type": "application/json" },
      body: JSON.stringify(name ? { name } : {}),
    });
    const reply = (await response.json().catch(() => undefined)) as ControlReply | undefined;
    return reply ?? { ok: false, message: `the tracker answered HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, message: `cannot reach the tracker: ${(error as Error).message}` };
  }
}
