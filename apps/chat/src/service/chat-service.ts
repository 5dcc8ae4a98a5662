/**
 * The chat's rules, on top of a MessageStore and a RoomBroker: sessions of a connection (hello,
 * resume, close), rooms and direct conversations, membership, presence. Sending and reading are
 * in messaging.ts. Every request method returns the reply's text or throws a ChatError.
 */
import type { RoomBroker, UserEvent } from '../broker/room-broker.js';
import { ChatError, ErrorCode } from '../protocol/errors.js';
import * as frames from '../protocol/frames.js';
import { checkName, nameKey, ROOM_NAME } from '../protocol/names.js';
import { DEFAULT_PAGE, type RequestId } from '../protocol/requests.js';
import type { MessageStore } from '../store/message-store.js';
import type { RoomSummary } from '../store/types.js';
import type { Fanout } from './fanout.js';
import type { Link } from './link.js';

export interface ServiceLimits {
  /** Longest message, in characters (code points). */
  readonly maxTextLength: number;
  /** A resume that missed more than this many messages of a room gets the latest page instead. */
  readonly maxResume: number;
}

export class ChatService {
  readonly store: MessageStore;
  readonly broker: RoomBroker;
  readonly fanout: Fanout;
  readonly limits: ServiceLimits;
  /** Set by shutdown(): new messages are refused, so what is acknowledged is final. */
  closing = false;

  constructor(store: MessageStore, broker: RoomBroker, fanout: Fanout, limits: ServiceLimits) {
    this.store = store;
    this.broker = broker;
    this.fanout = fanout;
    this.limits = limits;
    broker.onDeliver((delivery) => {
      if (delivery.kind === 'room') fanout.deliverRoom(delivery.event);
      else if (delivery.kind === 'user') this.#deliverUser(delivery.event);
      else if (delivery.kind === 'all') fanout.deliverAll(delivery.frame);
      else if (delivery.kind === 'head') fanout.streams.head(delivery.room, delivery.seq);
      else fanout.streams.resync();
    });
  }

  /**
   * The first request of a connection: the rooms the user is in (the others are listed by
   * `rooms`, so a server with many rooms does not send them all to every connection), then what
   * it missed in each.
   */
  async hello(link: Link, id: RequestId, resume: ReadonlyMap<number, number>): Promise<void> {
    // The user's events reach this node before their rooms are read: no join on another
    // device can fall in between.
    await this.fanout.register(link);
    const rooms = await this.store.listRooms(link.user.id, true);
    const { maxTextLength } = this.limits;
    link.send(frames.reply(id, 'welcome', { user: link.user, rooms, limits: { maxTextLength } }));
    for (const room of rooms) {
      if (!room.joined) continue;
      const from = resume.get(room.id);
      // Not resumed: the client holds the summary, so what arrived since it is all it lacks.
      const after = from === undefined ? room.lastSeq : from;
      const reset = room.lastSeq - after > this.limits.maxResume || after > room.lastSeq;
      await this.attach(link, room.id, reset ? null : after, reset);
    }
  }

  /** The connection is gone: it leaves every room's presence. */
  async goodbye(link: Link): Promise<void> {
    this.fanout.unregister(link);
    const rooms = [...link.rooms];
    link.rooms.clear();
    for (const room of rooms) this.fanout.leave(link, room);
    for (const room of rooms) await this.#exitPresence(link, room);
  }

  /**
   * Makes `link` receive `room`: catches up from `after` (null: the latest page, with `reset`
   * telling the client to drop what it held), subscribes, and enters the room's presence.
   */
  async attach(
    link: Link,
    room: number,
    after: number | null,
    reset = after === null,
  ): Promise<void> {
    link.rooms.add(room);
    // The room's events reach this node before its history is read: nothing falls between.
    await this.fanout.join(link, room);
    let pages = 0;
    const read = async (from: number | null, limit: number) =>
      from === null
        ? this.store.messagesBefore(room, null, DEFAULT_PAGE) // the latest page
        : this.store.messagesAfter(room, from, limit);
    await this.fanout.catchUp(link, room, after, read, (page) => {
      const first = pages++ === 0;
      if (page.length > 0 || (reset && first))
        link.send(frames.messagesFrame(room, page, reset && first));
    });
    if (!link.rooms.has(room)) {
      // Left (or closed) while catching up: undo what the catch-up ended with.
      this.fanout.leave(link, room);
      return;
    }
    const first = await this.broker.enter(room, link.user.id, link.id);
    link.present.add(room);
    // Left while entering: the exit is ours to make (goodbye and detach saw no presence yet).
    if (!link.rooms.has(room)) return this.#exitPresence(link, room);
    if (first)
      await this.broker.publishRoom({ room, frame: frames.presenceFrame(room, link.user, true) });
  }

  detach(link: Link, room: number): Promise<void> {
    if (!link.rooms.delete(room)) return Promise.resolve();
    this.fanout.leave(link, room);
    return this.#exitPresence(link, room);
  }

  async rooms(link: Link, id: RequestId): Promise<string> {
    return frames.reply(id, 'rooms', { rooms: await this.store.listRooms(link.user.id) });
  }

  async create(link: Link, id: RequestId, name: string): Promise<string> {
    const checked = checkName(name, ROOM_NAME);
    if (!checked.ok) throw new ChatError(ErrorCode.INVALID_NAME, `room name ${checked.reason}`);
    const room = await this.store.createRoom(checked.name, nameKey(checked.name), link.user.id);
    if (room === null) throw new ChatError(ErrorCode.NAME_TAKEN, 'a room with that name exists');
    const summary = (await this.store.summary(room.id, link.user.id))!;
    await this.broker.publishAll(frames.roomCreatedFrame(room));
    await this.#toUser(link.user.id, summary, { joinRoom: room.id });
    return frames.reply(id, 'room', { room: summary });
  }

  async join(link: Link, id: RequestId, roomId: number): Promise<void> {
    const room = await this.store.getRoom(roomId);
    if (room === undefined) throw new ChatError(ErrorCode.NOT_FOUND, `no room ${roomId}`);
    const user = link.user;
    if (room.kind === 'dm' && !(await this.store.isMember(roomId, user.id)))
      throw new ChatError(ErrorCode.NOT_ALLOWED, 'a direct conversation cannot be joined');
    const added = await this.store.addMember(roomId, user.id);
    if (added)
      await this.broker.publishRoom({
        room: roomId,
        frame: frames.memberFrame(roomId, user, true),
      });
    const summary = (await this.store.summary(roomId, user.id))!;
    // Every connection of the user (this one included) starts receiving the room.
    if (!link.rooms.has(roomId)) await this.#toUser(user.id, summary, { joinRoom: roomId });
    link.send(frames.reply(id, 'joined', { room: summary }));
  }

  async leave(link: Link, id: RequestId, roomId: number): Promise<string> {
    const room = await this.store.getRoom(roomId);
    if (room === undefined) throw new ChatError(ErrorCode.NOT_FOUND, `no room ${roomId}`);
    if (room.kind === 'dm')
      throw new ChatError(ErrorCode.NOT_ALLOWED, 'a direct conversation cannot be left');
    if (await this.store.removeMember(roomId, link.user.id)) {
      await this.broker.publishUser({
        user: link.user.id,
        frame: frames.roomLeftFrame(roomId),
        leaveRoom: roomId,
      });
      await this.broker.publishRoom({
        room: roomId,
        frame: frames.memberFrame(roomId, link.user, false),
      });
    }
    return frames.reply(id, 'ok');
  }

  /** Opens (creating it on first use) the direct conversation with another user. */
  async direct(link: Link, id: RequestId, name: string): Promise<string> {
    const peer = await this.store.findUserByKey(nameKey(name.trim()));
    if (peer === undefined) throw new ChatError(ErrorCode.NOT_FOUND, 'no user by that name');
    if (peer.id === link.user.id)
      throw new ChatError(ErrorCode.NOT_ALLOWED, 'a direct conversation needs another user');
    const { room, created } = await this.store.directRoom(link.user, {
      id: peer.id,
      name: peer.name,
    });
    if (created || !link.rooms.has(room.id)) {
      for (const user of created ? [link.user.id, peer.id] : [link.user.id]) {
        const summary = (await this.store.summary(room.id, user))!;
        await this.#toUser(user, summary, { joinRoom: room.id });
      }
    }
    return frames.reply(id, 'room', { room: await this.store.summary(room.id, link.user.id) });
  }

  async members(link: Link, id: RequestId, room: number): Promise<string> {
    this.requireMember(link, room);
    const [members, online] = await Promise.all([
      this.store.members(room),
      this.broker.online(room),
    ]);
    return frames.reply(id, 'members', { room, members, online });
  }

  /** Throws NOT_MEMBER unless this connection receives `room`. */
  requireMember(link: Link, room: number): void {
    if (!link.rooms.has(room))
      throw new ChatError(ErrorCode.NOT_MEMBER, `not a member of room ${room} (join it first)`);
  }

  #toUser(user: number, summary: RoomSummary, change: Partial<UserEvent>): Promise<void> | void {
    return this.broker.publishUser({ user, frame: frames.roomFrame(summary), ...change });
  }

  #deliverUser(event: UserEvent): void {
    for (const link of this.fanout.linksOf(event.user)) {
      const join = event.joinRoom;
      if (join !== undefined && !link.rooms.has(join))
        this.attach(link, join, null).catch(() => {
          link.rooms.delete(join);
          this.fanout.leave(link, join);
        });
      if (event.leaveRoom !== undefined) void this.detach(link, event.leaveRoom).catch(() => {});
    }
    this.fanout.deliverUser(event.user, event.frame);
  }

  /** Leaves the room's presence, if this connection entered it (once). */
  async #exitPresence(link: Link, room: number): Promise<void> {
    if (!link.present.delete(room)) return;
    if (await this.broker.exit(room, link.user.id, link.id))
      await this.broker.publishRoom({ room, frame: frames.presenceFrame(room, link.user, false) });
  }
}
