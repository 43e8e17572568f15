// Writes SIZE bytes of kubo's deterministic test data to stdout: the ChaCha20 keystream
// (zero nonce, counter 0) under the key sha256(SEED), as kubo's
// test/cli/testutils/random_deterministic.go generates it.
// Usage: node chacha20.mjs SEED SIZE
import { createCipheriv, createHash } from 'node:crypto'

const [seed, sizeArg] = process.argv.slice(2)
let remaining = Number(sizeArg)
const key = createHash('sha256').update(seed).digest()
// OpenSSL's chacha20 IV is 16 bytes: a 32-bit little-endian counter, then the 96-bit nonce.
const cipher = createCipheriv('chacha20', key, Buffer.alloc(16))
const zeros = Buffer.alloc(1 << 20)

function write () {
  while (remaining > 0) {
    const n = Math.min(remaining, zeros.length)
    remaining -= n
    if (!process.stdout.write(cipher.update(zeros.subarray(0, n)))) {
      process.stdout.once('drain', write)
      return
    }
  }
}
write()
