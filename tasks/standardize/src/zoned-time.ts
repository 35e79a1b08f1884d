const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, Map<number, number>>();
const WINDOW_MS = 15 * 60_000;

function formatterOf(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
}

/** The zone's offset from UTC (ms) at a UTC instant, cached per 15 minutes (zones change offset on such boundaries). */
export function zoneOffsetMs(tz: string, utcMs: number): number {
  let perZone = offsets.get(tz);
  if (!perZone) offsets.set(tz, (perZone = new Map()));
  const w = Math.floor(utcMs / WINDOW_MS);
  const cached = perZone.get(w);
  if (cached !== undefined) return cached;
  const at = w * WINDOW_MS;
  const p: Record<string, number> = {};
  for (const part of formatterOf(tz).formatToParts(new Date(at))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = new Date(0);
  wall.setUTCFullYear(p.year!, p.month! - 1, p.day!);
  wall.setUTCHours(p.hour!, p.minute!, p.second!, 0);
  const offset = wall.getTime() - at;
  if (perZone.size > 100_000) perZone.clear();
  perZone.set(w, offset);
  return offset;
}

/**
 * The UTC instant of a wall-clock time in an IANA zone. `wallMs` is the wall time read as if it
 * were UTC. In an overlap (clocks going back) the earlier instant is taken; in a gap (clocks
 * going forward) the offset from before the change, which lands after the gap.
 */
export function zonedWallTimeToUtc(wallMs: number, tz: string): number {
  const approx = wallMs - zoneOffsetMs(tz, wallMs);
  const before = zoneOffsetMs(tz, approx - 6 * 3_600_000);
  const after = zoneOffsetMs(tz, approx + 6 * 3_600_000);
  let best: number | undefined;
  for (const o of [before, after]) {
    const c = wallMs - o;
    if (zoneOffsetMs(tz, c) === o && (best === undefined || c < best)) best = c;
  }
  return best ?? wallMs - before;
}
