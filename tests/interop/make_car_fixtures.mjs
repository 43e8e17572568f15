// Writes the good CAR fixtures of tests/data/car/ with implementations independent of
// ours: ipfs-unixfs-importer (profile unixfs-v0-2015 / unixfs-v1-2025) + @ipld/car.
// The corrupt fixtures are derived from these by tests/data/car/README.md's recipe.
// Usage: node make_car_fixtures.mjs OUT_DIR
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { load } from './deps.mjs'

const { importer } = await load('ipfs-unixfs-importer')

// A blockstore that keeps each block under the CID the importer gave it (blockstore-core's
// MemoryBlockstore lists blocks as CIDv1 raw, keyed by multihash).
class Store {
  blocks = new Map()
  async put (cid, bytes) { this.blocks.set(cid.toString(), { cid, bytes }); return cid }
  async get (cid) { return this.blocks.get(cid.toString()).bytes }
  async has (cid) { return this.blocks.has(cid.toString()) }
}
const { CarWriter } = await load('@ipld/car', './writer')

const out = process.argv[2]
for (const profile of ['unixfs-v0-2015', 'unixfs-v1-2025']) {
  const store = new Store()
  let root
  const files = [
    { path: 'root/hello.txt', content: new TextEncoder().encode('hello world\n') },
    { path: 'root/sub/empty', content: new Uint8Array(0) }
  ]
  for await (const entry of importer(files, store, { profile })) {
    if (entry.path === 'root') root = entry.cid
  }
  const { writer, out: stream } = CarWriter.create([root])
  const chunks = []
  const collect = (async () => { for await (const c of stream) chunks.push(c) })()
  for (const block of store.blocks.values()) await writer.put(block)
  await writer.close()
  await collect
  writeFileSync(join(out, `good-${profile}.car`), Buffer.concat(chunks))
  console.log(profile, root.toString())
}
