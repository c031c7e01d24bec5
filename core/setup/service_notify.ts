/**
 * Readiness notification for systemd (`Type=notify`, sd_notify(3)): `READY=1` once every listener
 * is bound, `RELOADING=1` … `READY=1` around a SIGHUP reload, `STOPPING=1` when a stop begins.
 *
 * The protocol is one datagram on the AF_UNIX socket named by `NOTIFY_SOCKET`. Deno 2.9 sends
 * unix datagrams only behind `--unstable-net`, so the message is handed to systemd's own
 * `systemd-notify` (at its absolute path, the one program the run permission names); it waits
 * until the manager has read the message (its barrier), so the state is never lost to a race with
 * the helper's exit. The unit needs `NotifyAccess=all` for a message from a child process.
 *
 * Outside systemd (`NOTIFY_SOCKET` unset, or not readable under the granted permissions) every call
 * does nothing.
 *
 * @module
 */

/** Where Debian, Ubuntu, Fedora and Arch install `systemd-notify` (merged /usr). */
export const SYSTEMD_NOTIFY = "/usr/bin/systemd-notify";

/** Tells the service manager about the server's state; every method is a no-op outside systemd. */
export interface ServiceNotifier {
  /** Every listener is bound: the service is up (`READY=1`). */
  ready(status?: string): Promise<void>;
  /** A configuration reload has begun (`RELOADING=1`); `ready()` ends it. */
  reloading(): Promise<void>;
  /** A stop has begun (`STOPPING=1`). */
  stopping(): Promise<void>;
}

/** Options of {@link serviceNotifier}. */
export interface ServiceNotifierOptions {
  /** The socket's address; default: the `NOTIFY_SOCKET` environment variable when readable. */
  socket?: string | null;
  /** The program that sends the datagram; default {@link SYSTEMD_NOTIFY}. */
  program?: string;
  /** Told when a notification could not be sent (the server keeps running). */
  onError?: (message: string) => void;
}

function notifySocketFromEnv(): string | null {
  try {
    const value = Deno.env.get("NOTIFY_SOCKET");
    return value && value.length > 0 ? value : null;
  } catch {
    // Not granted (--allow-env without NOTIFY_SOCKET): behave as outside systemd.
    return null;
  }
}

/** A notifier for this process: real under systemd, silent elsewhere. */
export function serviceNotifier(options: ServiceNotifierOptions = {}): ServiceNotifier {
  const socket = options.socket === undefined ? notifySocketFromEnv() : options.socket;
  const program = options.program ?? SYSTEMD_NOTIFY;
  const send = async (assignments: string[]): Promise<void> => {
    if (socket === null) return;
    try {
      // sd_notify(3): newline-separated VARIABLE=value assignments; systemd-notify takes them as
      // arguments and sets MAINPID from --pid so the manager tracks this process, not the helper.
      const out = await new Deno.Command(program, {
        args: [`--pid=${Deno.pid}`, ...assignments],
        env: { NOTIFY_SOCKET: socket },
        clearEnv: true,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      if (!out.success) {
        options.onError?.(
          `${program} exited with ${out.code}: ${new TextDecoder().decode(out.stderr).trim()}`,
        );
      }
    } catch (err) {
      options.onError?.(`${program}: ${(err as Error).message}`);
    }
  };
  return {
    ready: (status) => send(["READY=1", ...(status ? [`STATUS=${status}`] : [])]),
    reloading: () => send(["RELOADING=1"]),
    stopping: () => send(["STOPPING=1"]),
  };
}
