// Reads a CAR with @ipld/car and walks its root with ipfs-unixfs-exporter (both
// independent of our code), printing one JSON line per entry:
// {"path", "type", "size", "sha256"} (sha256 of a file's content; path relative to root).
// Usage: node export.mjs FILE.car
import { createReadStream } from 'node:fs'
import { createHash } from 'node:crypto'
import { load } from './deps.mjs'

const { CarBlockIterator } = await load('@ipld/car', './iterator')
const { MemoryBlockstore } = await load('blockstore-core')
const { exporter } = await load('ipfs-unixfs-exporter')

const blocks = await CarBlockIterator.fromIterable(createReadStream(process.argv[2]))
const [root] = await blocks.getRoots()
const store = new MemoryBlockstore()
for await (const { cid, bytes } of blocks) await store.put(cid, bytes)

async function walk (entry, path) {
  if (entry.type === 'directory') {
    process.stdout.write(JSON.stringify({ path, type: 'directory', cid: entry.cid.toString() }) + '\n')
    for await (const child of entry.content()) {
      await walk(await exporter(child.cid, store), path ? path + '/' + child.name : child.name)
    }
  } else {
    const hash = createHash('sha256')
    let size = 0
    for await (const chunk of entry.content()) { hash.update(chunk); size += chunk.length }
    process.stdout.write(JSON.stringify({ path, type: entry.type, size, sha256: hash.digest('hex') }) + '\n')
  }
}
await walk(await exporter(root, store), '')
