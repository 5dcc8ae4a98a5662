/** Names of the wsx topics the chat publishes to. */

/** Every connection in a room. */
export function roomTopic(room: number): string {
  return `r${room}`;
}

/** Every connection of a user (tabs, devices). */
export function userTopic(user: number): string {
  return `u${user}`;
}

/** Every signed-in connection (new public rooms). */
export const ALL_TOPIC = 'all';
