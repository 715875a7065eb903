/**
 * One writer of a customer's registrations across the cluster (PostgreSQL
 * with WORKERS > 1). Every worker reads, judges and answers its own
 * addPerson calls as before; only the group statement that commits them
 * (person.repository.ts, insertPersonGroup) runs in one worker per customer,
 * its owner (a hash of the customer over the workers), which groups its own
 * registrations of that customer with those the other workers send it, one
 * statement of a customer at a time. Before, each worker formed its own
 * groups and the two workers' statements took the customer's event counter
 * row in turn: half the group size, twice the statements and COMMITs a
 * registration, and a statement's execution mostly the wait for the other
 * worker's COMMIT.
 *
 * The workers talk over Unix sockets in a directory only the service's user
 * can enter (made by the primary), not through the primary: a hop through
 * it would wake a third process twice a message. A worker sends the
 * registrations of one event-loop turn as one message (`RegistrationRelay`);
 * the owner answers each as its group comes back, one message a turn
 * (`RegistrationOwner`). A registration's answer is its row as committed, or
 * "wrote nothing" (the sender then runs the PIN rules' transaction itself,
 * as before), or the failure of its group (a lost connection: its outcome
 * is unknown), sent as its name, message and driver code, so the sender
 * answers -3 or -4 exactly as for its own statement. Nothing is
 * acknowledged before the owner's COMMIT.
 *
 * Where a customer's groups run is a matter of speed, never of correctness:
 * two processes' groups of one customer serialize on its counter row and
 * number their events gap-free as they did before. So a worker whose owner
 * is not reachable (starting, replaced, gone) writes its registrations
 * itself until the owner's socket answers again; registrations that were
 * out to an owner that died fail as a lost connection does (-3: they may
 * have committed).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import type { GroupedRegistration, PersonRow, RegistrationWriter } from './store/person.repository.js';

/** A worker's registrations of one turn: [id, customer, registration] each. */
export interface RegistrationsMessage {
  baton: 'registrations';
  writes: [number, string, GroupedRegistration][];
  /** The answer to the owner's `closing`: nothing more comes on this link. */
  done?: boolean;
}

/** The owner's answers: [id, row or null (wrote nothing)] and [id, failure] each. */
export interface RegisteredMessage {
  baton: 'registered';
  rows: [number, PersonRow | null][];
  failures: [number, RelayedFailure][];
  /** Registrations the owner did not run (it is shutting down): the sender writes them itself. */
  declined?: number[];
  /** The owner is shutting down: send nothing more, answer `done`; what was sent is still answered. */
  closing?: boolean;
}

/** A group's failure as it crosses the link: what the sender's error mapping reads. */
export interface RelayedFailure {
  name: string;
  message: string;
  code?: string;
}

/** True for a worker's registrations. */
export function isRegistrationsMessage(message: unknown): message is RegistrationsMessage {
  return (message as { baton?: unknown } | null)?.baton === 'registrations';
}

/** True for the owner's answers to them. */
export function isRegisteredMessage(message: unknown): message is RegisteredMessage {
  return (message as { baton?: unknown } | null)?.baton === 'registered';
}

/** One side of a channel between two processes (a socket between two workers, see socketChannel). */
export interface RelayChannel<M> {
  /** False when the channel is closed and `message` was not sent (`callback` then never runs). */
  send(message: M, callback: (error: Error | null) => void): boolean;
}

/** The failure's parts the sender's error mapping reads (classifyError, isRerunnable): never a stack. */
function relayedFailure(error: unknown): RelayedFailure {
  const { name, message, code } = (error ?? {}) as { name?: unknown; message?: unknown; code?: unknown };
  return {
    name: typeof name === 'string' ? name : 'Error',
    message: typeof message === 'string' ? message : String(error),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/** The error a relayed failure stands for in the sender. */
function failureError(failure: RelayedFailure): Error {
  const error = new Error(failure.message) as Error & { code?: string };
  error.name = failure.name;
  if (failure.code !== undefined) error.code = failure.code;
  return error;
}

/** Answers waiting for one channel, sent together at the end of the turn. */
interface Outbox {
  rows: [number, PersonRow | null][];
  failures: [number, RelayedFailure][];
}

/**
 * The owner's side: runs the registrations other workers send through this
 * process's own group commit (`write`, registrationGroupsOn its store),
 * with its own, and answers each sender once a turn with what came back.
 */
export class RegistrationOwner<W extends RelayChannel<RegisteredMessage>> {
  private readonly outboxes = new Map<W, Outbox>();
  /** Registrations received and not yet answered. */
  private outstanding = 0;
  private drained: (() => void) | undefined;

  constructor(private readonly write: RegistrationWriter) {}

  /** Handles one message of `worker`'s. */
  receive(worker: W, message: RegistrationsMessage): void {
    for (const [id, customer, item] of message.writes) {
      this.outstanding++;
      this.write(customer, item)
        .then(
          (row) => this.outboxOf(worker).rows.push([id, row ?? null]),
          (error: unknown) => this.outboxOf(worker).failures.push([id, relayedFailure(error)]),
        )
        .finally(() => {
          if (--this.outstanding === 0) this.drained?.();
        });
    }
  }

  /** Once every registration received so far is answered (its answer on its way at the end of the turn). */
  idle(): Promise<void> {
    if (this.outstanding === 0) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => {
      this.drained = () => {
        this.drained = undefined;
        setImmediate(resolve);
      };
    });
  }

  private outboxOf(worker: W): Outbox {
    let outbox = this.outboxes.get(worker);
    if (!outbox) {
      this.outboxes.set(worker, (outbox = { rows: [], failures: [] }));
      setImmediate(() => {
        this.outboxes.delete(worker);
        // A sender that died meanwhile gets nothing: its callers are gone with it.
        worker.send({ baton: 'registered', rows: outbox!.rows, failures: outbox!.failures }, () => undefined);
      });
    }
    return outbox;
  }
}

/**
 * A sender's side of one link to an owner: the registrations sent there, a
 * turn's worth a message (`write` is a RegistrationWriter).
 */
export class RegistrationRelay {
  private nextId = 1;
  /** Every registration not answered yet, sent or not. */
  private readonly waiting = new Map<
    number,
    {
      customer: string;
      item: GroupedRegistration;
      resolve: (row: PersonRow | undefined | Promise<PersonRow | undefined>) => void;
      reject: (error: Error) => void;
    }
  >();
  /** Those of this turn, not sent yet. */
  private outgoing: [number, string, GroupedRegistration][] = [];
  private closedWith: Error | undefined;
  /** The owner is shutting down (its `closing`): nothing more is sent. */
  private draining = false;

  /**
   * @param channel the link to the owner
   * @param alone this worker's own group commit: where a registration the owner never ran goes
   */
  constructor(
    private readonly channel: RelayChannel<RegistrationsMessage>,
    private readonly alone: RegistrationWriter,
  ) {}

  /** Queues one registration for the owner's group commit of `customer`. */
  readonly write: RegistrationWriter = (customer, item) => {
    if (this.closedWith || this.draining) return this.alone(customer, item);
    const id = this.nextId++;
    if (this.outgoing.length === 0) setImmediate(() => this.flush());
    this.outgoing.push([id, customer, item]);
    return new Promise((resolve, reject) => this.waiting.set(id, { customer, item, resolve, reject }));
  };

  /** Handles the owner's answers; false for any other message. */
  receive(message: unknown): boolean {
    if (!isRegisteredMessage(message)) return false;
    for (const [id, row] of message.rows) this.take(id)?.resolve(row ?? undefined);
    for (const [id, failure] of message.failures) this.take(id)?.reject(failureError(failure));
    this.writeAlone(message.declined ?? []);
    if (message.closing && !this.draining) {
      // From now on this worker writes alone; the owner ends the link once it has this answer.
      this.draining = true;
      this.writeAlone(this.outgoing.splice(0).map(([id]) => id));
      this.channel.send({ baton: 'registrations', writes: [], done: true }, () => undefined);
    }
    return true;
  }

  /**
   * The link is gone: every registration sent and not answered fails with
   * `error` (it may have committed); those not sent yet, and every later
   * one, are written here.
   */
  close(error: Error): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.writeAlone(this.outgoing.splice(0).map(([id]) => id));
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }

  private flush(): void {
    const writes = this.outgoing.splice(0);
    if (writes.length === 0) return;
    // A failed write destroys the socket, whose 'close' closes this relay (startRegistrationLinks).
    const sent = this.channel.send({ baton: 'registrations', writes }, () => undefined);
    // The link was closed before this turn's registrations left: none of them reached the owner.
    if (!sent) this.writeAlone(writes.map(([id]) => id));
  }

  private take(id: number) {
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    return waiter;
  }

  /** Registrations the owner never ran: written by this worker's own group commit. */
  private writeAlone(ids: readonly number[]): void {
    for (const id of ids) {
      const waiter = this.take(id);
      waiter?.resolve(this.alone(waiter.customer, waiter.item));
    }
  }
}

/**
 * Messages as JSON lines over `socket` (JSON.stringify escapes every line
 * break inside a string, so a line is one message); `receive` gets each.
 */
export function socketChannel<M>(socket: Socket, receive: (message: unknown) => void): RelayChannel<M> {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let end = buffered.indexOf('\n');
    if (end < 0) return;
    let start = 0;
    while (end >= 0) {
      let message: unknown;
      try {
        message = JSON.parse(buffered.slice(start, end));
      } catch {
        // Only the cluster's workers can reach the socket; a line that is not JSON ends the link.
        socket.destroy();
        return;
      }
      receive(message);
      start = end + 1;
      end = buffered.indexOf('\n', start);
    }
    buffered = buffered.slice(start);
  });
  return {
    send(message, callback) {
      if (socket.destroyed || !socket.writable) return false;
      socket.write(JSON.stringify(message) + '\n', (error) => callback(error ?? null));
      return true;
    },
  };
}

/** The worker (1 … workers) that writes `customer`'s registrations: a hash of it over the workers. */
export function ownerOf(customer: string, workers: number): number {
  // FNV-1a: customers' UIDs are random, any even spread will do.
  let hash = 0x811c9dc5;
  for (let i = 0; i < customer.length; i++) hash = Math.imul(hash ^ customer.charCodeAt(i), 0x01000193);
  return ((hash >>> 0) % workers) + 1;
}

/** The socket worker `index` owns its customers' registrations on, in the cluster's private directory. */
export function ownerSocketPath(dir: string, index: number): string {
  return join(dir, `${index}.sock`);
}

/** How soon a worker tries again to reach an owner it lost or could not reach (meanwhile it writes alone). */
const reconnectMs = 200;

/**
 * What a registration that was out to an owner that is gone fails with: a
 * lost connection (classifyError: retryable, -3), for its outcome is unknown.
 */
function ownerLost(owner: number): Error {
  return new Error(`Connection terminated: worker ${owner}, which writes this customer's registrations, is gone`);
}

/** One worker's links to the owners of other workers' customers (see the top of this file). */
export interface RegistrationLinks {
  /** Where this worker's registrations go: here for its own customers and unreachable owners, else their owner. */
  write: RegistrationWriter;
  /**
   * Stops taking other workers' links, answers the registrations they sent
   * (this worker's pool is still open), then closes their links (they write
   * alone from then on) and this worker's own.
   */
  close(): Promise<void>;
}

/**
 * Worker `index` of `workers`: owns its customers' registrations on its
 * socket in `dir` (writing them with `local`, this worker's own group
 * commit, with those other workers send), and sends each other customer's
 * to its owner.
 */
export async function startRegistrationLinks(
  dir: string,
  index: number,
  workers: number,
  local: RegistrationWriter,
): Promise<RegistrationLinks> {
  const owner = new RegistrationOwner<RelayChannel<RegisteredMessage>>(local);
  /** Each link other workers made to this one: done once its sender answered `closing`. */
  const accepted = new Map<Socket, { channel: RelayChannel<RegisteredMessage>; done: Promise<void> }>();
  let closed = false;
  const server: Server = createServer((socket) => {
    socket.on('error', () => undefined);
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    socket.once('close', () => {
      accepted.delete(socket);
      done();
    });
    const channel: RelayChannel<RegisteredMessage> = socketChannel(socket, (message) => {
      if (!isRegistrationsMessage(message)) return;
      if (message.done) return done();
      if (!closed) return owner.receive(channel, message);
      // Sent before its sender saw `closing`: not run here, the sender writes it.
      const declined = message.writes.map(([id]) => id);
      channel.send({ baton: 'registered', rows: [], failures: [], declined }, () => undefined);
    });
    accepted.set(socket, { channel, done: finished });
  });
  const path = ownerSocketPath(dir, index);
  // A socket left by this worker's predecessor (killed) is in the way.
  rmSync(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });

  // Each link to another owner is made at once and made again soon after it is lost, so registrations
  // find it up; while it is not, they are written here.
  const links = new Map<number, RegistrationRelay>();
  const link = (to: number) => {
    if (closed) return;
    const socket = connect(ownerSocketPath(dir, to));
    let relay: RegistrationRelay | undefined;
    socket.once('connect', () => {
      relay = new RegistrationRelay(
        socketChannel(socket, (message) => relay?.receive(message)),
        local,
      );
      links.set(to, relay);
    });
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      relay?.close(ownerLost(to));
      if (links.get(to) === relay) links.delete(to);
      socket.destroy();
      setTimeout(() => link(to), reconnectMs).unref();
    };
    socket.on('error', onLost);
    socket.on('close', onLost);
  };
  for (let to = 1; to <= workers; to++) if (to !== index) link(to);

  return {
    write: (customer, item) => {
      const to = ownerOf(customer, workers);
      const relay = to === index ? undefined : links.get(to);
      return relay ? relay.write(customer, item) : local(customer, item);
    },
    close: async () => {
      closed = true;
      server.close();
      // Every sender stops sending (or its link closes, or a second passes), then what it sent is answered.
      const senders = [...accepted.values()];
      for (const { channel } of senders) {
        channel.send({ baton: 'registered', rows: [], failures: [], closing: true }, () => undefined);
      }
      await Promise.race([
        Promise.all(senders.map((sender) => sender.done)),
        new Promise((resolve) => setTimeout(resolve, 1000).unref()),
      ]);
      await owner.idle();
      // end(), not destroy(): the answers just written go out first.
      for (const socket of accepted.keys()) socket.end();
      for (const [to, relay] of links) relay.close(ownerLost(to));
      links.clear();
    },
  };
}
