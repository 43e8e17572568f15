// Loads the npm packages installed by .ci/setup into .ci/node_modules (ES modules ignore
// NODE_PATH, so resolve each package's entry point from its package.json "exports").
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const modules = process.env.IPWHL_NODE_MODULES ?? join(here, '..', '..', '.ci', 'node_modules')

function entry (exp) {
  if (typeof exp === 'string') return exp
  return entry(exp.import ?? exp.default ?? exp['.'])
}

export async function load (name, subpath = '.') {
  const dir = join(modules, name)
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  const main = pkg.exports ? entry(pkg.exports[subpath] ?? pkg.exports) : (pkg.module ?? pkg.main)
  return import(pathToFileURL(join(dir, main)).href)
}
