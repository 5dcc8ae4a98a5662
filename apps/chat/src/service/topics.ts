/** Names of the wsx topics the chat publishes to. */

/** Every connection in a room. */
export function roomTopic(room: number): string {
  return `r${room}`;
}

/** Every signed-in connection (new public rooms). */
export const ALL_TOPIC = 'all';
