import { subjects } from "@tradewire/schemas";

export interface StreamDefinition {
  /** Canonical name; the bus applies its namespace. */
  name: string;
  subjects: readonly string[];
  /** Window in which a repeated Nats-Msg-Id is dropped. */
  duplicateWindowMs: number;
  maxAgeMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Every JetStream stream Tradewire uses, declared once. */
export const STREAMS = {
  /** Both the bare and the per-strategy subject, so a bare-vs-wildcard mismatch cannot drop signals (F10). */
  signals: {
    name: "TRADEWIRE_SIGNALS",
    subjects: subjects.signalSubjects(),
    duplicateWindowMs: 10 * 60_000,
    maxAgeMs: 7 * DAY,
  },
  intents: {
    name: "TRADEWIRE_INTENTS",
    subjects: [subjects.tradeIntent(), subjects.tradeIntentSkipped()],
    duplicateWindowMs: 60 * 60_000,
    maxAgeMs: 7 * DAY,
  },
  orders: {
    name: "TRADEWIRE_ORDERS",
    subjects: [subjects.orderEventsAll()],
    duplicateWindowMs: 10 * 60_000,
    maxAgeMs: 30 * DAY,
  },
  deadLetters: {
    name: "TRADEWIRE_DEADLETTER",
    subjects: [subjects.deadLetterAll()],
    duplicateWindowMs: 2 * 60_000,
    maxAgeMs: 30 * DAY,
  },
  /**
   * Operator commands, published on core NATS and kept here too, so one sent while a service was
   * down is read when it starts (the kill switch).
   */
  control: {
    name: "TRADEWIRE_CONTROL",
    subjects: [subjects.killSwitch()],
    duplicateWindowMs: 2 * 60_000,
    maxAgeMs: 30 * DAY,
  },
} as const satisfies Record<string, StreamDefinition>;

/** The stream meant to store `subject` (canonical), matching NATS wildcards; undefined for none. */
export function streamStoring(subject: string): StreamDefinition | undefined {
  const tokens = subject.split(".");
  return Object.values(STREAMS).find((def) => def.subjects.some((pattern) => covers(pattern, tokens)));
}

function covers(pattern: string, tokens: readonly string[]): boolean {
  const parts = pattern.split(".");
  for (const [i, part] of parts.entries()) {
    if (part === ">") return tokens.length > i;
    if (i >= tokens.length || (part !== "*" && part !== tokens[i])) return false;
  }
  return parts.length === tokens.length;
}
