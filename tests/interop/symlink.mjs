// Prints the CID (CIDv0 and CIDv1) and UnixFS Data (hex) of a symlink node to TARGET as the
// npm ipfs-unixfs and @ipld/dag-pb packages encode it (an encoder independent of ours).
// Usage: node symlink.mjs TARGET
import { load } from './deps.mjs'

const { UnixFS } = await load('ipfs-unixfs')
const dagPb = await load('@ipld/dag-pb')
const { CID } = await load('multiformats')
const { sha256 } = await load('multiformats', './hashes/sha2')

const data = new UnixFS({ type: 'symlink', data: new TextEncoder().encode(process.argv[2]) })
const block = dagPb.encode({ Data: data.marshal(), Links: [] })
const digest = await sha256.digest(block)
console.log(JSON.stringify({
  v0: CID.createV0(digest).toString(),
  v1: CID.createV1(dagPb.code, digest).toString(),
  size: block.length,
  unixfs: Buffer.from(data.marshal()).toString('hex')
}))
