// Import a directory with the npm UnixFS importer (an independent IPFS implementation)
// and write its DAG to a CAR with @ipld/car.  Used by the gateway tests as a source of
// CARs we did not produce.
//
// usage: node npm_car.mjs DIR OUT.car PROFILE [CHUNK_SIZE MAX_LINKS SHARD_THRESHOLD]
// prints the root CID.
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { CarWriter } from '@ipld/car'
import fs from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'

const [dir, out, profile, chunk, links, threshold] = process.argv.slice(2)

function * walk (root, rel) {
  const names = fs.readdirSync(path.join(root, rel)).sort()
  for (const name of names) {
    const r = rel ? `${rel}/${name}` : name
    const full = path.join(root, r)
    if (fs.statSync(full).isDirectory()) {
      yield { path: `root/${r}` }
      yield * walk(root, r)
    } else {
      yield { path: `root/${r}`, content: fs.createReadStream(full) }
    }
  }
}

const options = { profile }
if (chunk) options.chunker = fixedSize({ chunkSize: Number(chunk) })
if (links) options.layout = balanced({ maxChildrenPerNode: Number(links) })
if (threshold) options.shardSplitThresholdBytes = Number(threshold)
// A block store that keeps each CID as given (blockstore-core keys blocks by multihash
// and would hand back every CID as raw).
const blocks = new Map()
const store = {
  async put (cid, bytes) { blocks.set(cid.toString(), { cid, bytes }); return cid },
  async get (cid) { return blocks.get(cid.toString()).bytes },
  async has (cid) { return blocks.has(cid.toString()) }
}
let root
for await (const entry of importer([{ path: 'root' }, ...walk(dir, '')], store, options)) {
  if (entry.path === 'root') root = entry.cid
}
const { writer, out: carBytes } = CarWriter.create([root])
const sink = Readable.from(carBytes).pipe(fs.createWriteStream(out))
for (const block of blocks.values()) {
  await writer.put(block)
}
await writer.close()
await new Promise((resolve) => sink.on('finish', resolve))
console.log(root.toString())
