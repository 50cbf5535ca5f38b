/**
 * Two FNV-1a lanes with different primes: a 64-bit-ish structural hash, enough to tell a
 * checkpoint from another tree's without pulling in a crypto dependency.
 */
export class Fingerprint {
  private a = 0x811c9dc5;
  private b = 0x01000193;

  add(text: string): void {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    this.a = a ^ 0xff;
    this.b = b ^ 0xff;
  }

  digest(): string {
    return (
      (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0')
    );
  }
}
