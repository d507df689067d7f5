// A rehearsal's show clock (state.show.clock, docs/protocol.md): the server stamps show time,
// which runs `speed` times as fast as the wall from `show_start`. Shows without a clock pass
// `null` and every time is the wall's.

/** The show's time for a moment of the server's wall clock (ms since the epoch). */
export function showTime(wall, clock) {
  if (!clock) return wall;
  return Date.parse(clock.show_start) + (wall - Date.parse(clock.wall_start)) * clock.speed;
}

/** The server's wall clock for a time it stamped (show time), where clock offsets are kept. */
export function wallTime(ms, clock) {
  if (!clock) return ms;
  return Date.parse(clock.wall_start) + (ms - Date.parse(clock.show_start)) / clock.speed;
}
