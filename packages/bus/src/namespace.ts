/**
 * A namespace isolates a deployment (or a test) on a shared NATS: every subject gets the prefix
 * `<ns>.` and every stream and consumer name `<ns>_`. The empty namespace changes nothing.
 */
export class Namespace {
  constructor(readonly name: string) {
    if (name !== "" && !/^[A-Za-z0-9_-]+$/.test(name)) {
      throw new Error(`invalid namespace ${JSON.stringify(name)}: letters, digits, _ and - only`);
    }
  }

  subject(subject: string): string {
    return this.name === "" ? subject : `${this.name}.${subject}`;
  }

  /** Strips the namespace from a received subject, so handlers see canonical subjects. */
  unprefix(subject: string): string {
    return this.name !== "" && subject.startsWith(`${this.name}.`)
      ? subject.slice(this.name.length + 1)
      : subject;
  }

  resource(name: string): string {
    return this.name === "" ? name : `${this.name}_${name}`;
  }
}
