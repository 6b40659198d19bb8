// What fabts changes for servers with known bugs, learned from the software version in their SSH banner.

/**
 * Dropbear before 2024.86 closes a session channel whose exec or shell request has not arrived yet whenever a
 * command of the same connection exits meanwhile (its check_close takes "no process yet" for "process gone";
 * upstream issue #321, fixed by commit 71521d1b). The request that then arrives starts the command on the closed
 * channel, and its first output trips `Failed assertion (common-channel.c:705): '!channel->sent_close'`: Dropbear
 * exits and takes every channel of the connection with it. No message of ours can be held back to avoid it (the
 * exec must follow the open); what avoids it is that no command runs while a channel waits for its exec: one
 * session channel at a time. Debian 12 ships 2022.83.
 */
export function sessionLimitFor(software: string | undefined): number | undefined {
  const match = /^dropbear_(\d{4})\.(\d+)/i.exec(software ?? '');
  if (!match) return undefined;
  const [year, release] = [Number(match[1]), Number(match[2])];
  return year < 2024 || (year === 2024 && release < 86) ? 1 : undefined;
}
