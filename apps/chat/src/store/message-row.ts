/**
 * A message as both stores' queries select it (messages joined with its sender's name, the
 * columns aliased to these names), and the one mapping to what the chat sends.
 */
import type { ChatMessage } from './types.js';

export interface MessageRow {
  room: number;
  seq: number;
  userId: number;
  userName: string;
  clientMsgId: string;
  text: string;
  ts: number;
}

export function rowToMessage(row: MessageRow): ChatMessage {
  return {
    room: row.room,
    seq: row.seq,
    from: { id: row.userId, name: row.userName },
    text: row.text,
    ts: row.ts,
    clientMsgId: row.clientMsgId,
  };
}
