// Imports inputs with ipfs-unixfs-importer (an independent UnixFS implementation) and
// prints one JSON line per job: {"id", "cid", "size", "seconds", "cpuSeconds"} (size: the
// root's cumulative size; seconds and cpuSeconds: the import's wall and CPU time in node).
// Usage: node import.mjs JOBS.json
// A job: {"id", "profile", "options"?: {...importer options}, and one input:
//   "chacha": {"seed", "size"}  a file of kubo's deterministic bytes (see chacha20.mjs)
//   "file": "/abs/path"          a file read from disk
//   "dir": "/abs/path"           a directory tree (dot-files left out, like `ipfs add -r`)
//   "entries": [{"path", "size"?}]  a synthetic tree: files of SIZE bytes "x"-filled
// "options" may also hold chunkSize and maxChildrenPerNode (fixed-size chunker, balanced
// layout) to run the same algorithms on a smaller configuration.
import { createCipheriv, createHash } from 'node:crypto'
import { readFileSync, readdirSync, lstatSync, createReadStream } from 'node:fs'
import { join } from 'node:path'
import { load } from './deps.mjs'

const { importer } = await load('ipfs-unixfs-importer')
const { fixedSize } = await load('ipfs-unixfs-importer', './chunker')
const { balanced } = await load('ipfs-unixfs-importer', './layout')
const { BlackHoleBlockstore } = await load('blockstore-core')

async function * chacha (seed, size) {
  const key = createHash('sha256').update(seed).digest()
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16))
  const zeros = Buffer.alloc(1 << 20)
  let remaining = size
  while (remaining > 0) {
    const n = Math.min(remaining, zeros.length)
    remaining -= n
    yield cipher.update(zeros.subarray(0, n))
  }
}

function * walk (dir, path) {
  const names = readdirSync(dir).filter((n) => !n.startsWith('.')).sort()
  yield { path }
  for (const name of names) {
    const abs = join(dir, name)
    if (lstatSync(abs).isDirectory()) yield * walk(abs, path + '/' + name)
    else yield { path: path + '/' + name, content: createReadStream(abs) }
  }
}

async function run (job) {
  const { chunkSize, maxChildrenPerNode, ...rest } = job.options ?? {}
  const options = { profile: job.profile, ...rest }
  // A smaller configuration of the same algorithms (to reach deep trees with little data).
  if (chunkSize) options.chunker = fixedSize({ chunkSize })
  if (maxChildrenPerNode) options.layout = balanced({ maxChildrenPerNode })
  let candidates
  let rootPath
  if (job.chacha) {
    candidates = [{ content: chacha(job.chacha.seed, job.chacha.size) }]
  } else if (job.file) {
    candidates = [{ content: createReadStream(job.file, { highWaterMark: 1 << 20 }) }]
  } else if (job.dir) {
    rootPath = 'root'
    candidates = [...walk(job.dir, 'root')]
  } else {
    rootPath = 'root'
    candidates = [{ path: 'root' }, ...job.entries.map((e) => (
      e.size === undefined ? { path: 'root/' + e.path } : { path: 'root/' + e.path, content: Buffer.alloc(e.size, 'x') }
    ))]
  }
  let root
  const start = performance.now()
  const cpu = process.cpuUsage()
  for await (const entry of importer(candidates, new BlackHoleBlockstore(), options)) {
    if (rootPath === undefined || entry.path === rootPath) root = entry
  }
  const seconds = (performance.now() - start) / 1000
  const used = process.cpuUsage(cpu)
  const cpuSeconds = (used.user + used.system) / 1e6 // all of node's threads
  return { id: job.id, cid: root.cid.toString(), size: Number(root.size), seconds, cpuSeconds }
}

const jobs = JSON.parse(readFileSync(process.argv[2], 'utf8'))
for (const job of jobs) {
  process.stdout.write(JSON.stringify(await run(job)) + '\n')
}
