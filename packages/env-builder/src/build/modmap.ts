/** Import name → distribution name: a built-in table of the common mismatches plus wheelhouse metadata. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '@swe-forge/core/proc';
import { contentHash } from '@swe-forge/core/ids';

/** Modules whose distribution has a different name (the usual `ModuleNotFoundError` traps). */
export const MODULE_TO_DIST: Readonly<Record<string, string>> = {
  yaml: 'PyYAML',
  PIL: 'pillow',
  dateutil: 'python-dateutil',
  cv2: 'opencv-python',
  sklearn: 'scikit-learn',
  skimage: 'scikit-image',
  bs4: 'beautifulsoup4',
  Crypto: 'pycryptodome',
  OpenSSL: 'pyOpenSSL',
  jwt: 'PyJWT',
  dotenv: 'python-dotenv',
  magic: 'python-magic',
  serial: 'pyserial',
  usb: 'pyusb',
  git: 'GitPython',
  attr: 'attrs',
  google: 'protobuf',
  zmq: 'pyzmq',
  MySQLdb: 'mysqlclient',
  psycopg2: 'psycopg2-binary',
  pkg_resources: 'setuptools',
  setuptools: 'setuptools',
  docx: 'python-docx',
  pptx: 'python-pptx',
  slugify: 'python-slugify',
  multipart: 'python-multipart',
  jose: 'python-jose',
  ldap: 'python-ldap',
  Levenshtein: 'python-Levenshtein',
  fitz: 'PyMuPDF',
  wx: 'wxPython',
  gi: 'PyGObject',
  lxml: 'lxml',
  toml: 'toml',
  tomli: 'tomli',
  typing_extensions: 'typing-extensions',
  _pytest: 'pytest',
  pytest_cov: 'pytest-cov',
  xdist: 'pytest-xdist',
  pytest_mock: 'pytest-mock',
  pytest_asyncio: 'pytest-asyncio',
  pytest_timeout: 'pytest-timeout',
  hypothesis: 'hypothesis',
  faker: 'Faker',
  freezegun: 'freezegun',
  mock: 'mock',
  nose: 'nose',
  simplejson: 'simplejson',
  ujson: 'ujson',
  Cython: 'Cython',
  numpy: 'numpy',
  matplotlib: 'matplotlib',
  markdown: 'Markdown',
  jinja2: 'Jinja2',
  markupsafe: 'MarkupSafe',
  dns: 'dnspython',
  websocket: 'websocket-client',
  socks: 'PySocks',
  win32api: 'pywin32',
  kafka: 'kafka-python',
  sentry_sdk: 'sentry-sdk',
  OpenGL: 'PyOpenGL',
  Bio: 'biopython',
  nacl: 'PyNaCl',
  jsonschema: 'jsonschema',
  editdistance: 'editdistance',
  flask_sqlalchemy: 'Flask-SQLAlchemy',
  importlib_metadata: 'importlib-metadata',
  importlib_resources: 'importlib-resources',
  backports: 'backports.tarfile',
};

const INDEX_SCRIPT = String.raw`
import json, os, sys, zipfile
out = {}
for d in sys.argv[1:]:
    try:
        names = sorted(os.listdir(d))
    except OSError:
        continue
    for n in names:
        if not n.endswith('.whl'):
            continue
        dist = n.split('-')[0]
        try:
            z = zipfile.ZipFile(os.path.join(d, n))
        except Exception:
            continue
        mods = set()
        top = [x for x in z.namelist() if x.endswith('.dist-info/top_level.txt')]
        if top:
            for line in z.read(top[0]).decode('utf8', 'replace').splitlines():
                line = line.strip().split('/')[0]
                if line:
                    mods.add(line)
        else:
            for x in z.namelist():
                first = x.split('/')[0]
                if first.endswith('.dist-info') or first.endswith('.data'):
                    continue
                if '/' in x:
                    mods.add(first)
                elif x.endswith('.py'):
                    mods.add(x[:-3])
                elif x.endswith('.so'):
                    mods.add(x.split('.')[0])
        for m in mods:
            out.setdefault(m, dist)
print(json.dumps(out))
`;

/** Map module → distribution for every wheel in the given wheelhouse folders (cached in cacheDir by listing). */
export async function wheelhouseIndex(dirs: string[], python: string, cacheDir: string): Promise<Record<string, string>> {
  const listing = dirs.map((d) => (existsSync(d) ? `${d}\n${readdirSync(d).join('\n')}` : d)).join('\n');
  const file = join(cacheDir, `wheelhouse-index.${contentHash(listing).slice(0, 16)}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const r = await run([python, '-c', INDEX_SCRIPT, ...dirs], {
    timeoutMs: 300_000,
  });
  if (r.exitCode !== 0) return {};
  const map = JSON.parse(r.stdout) as Record<string, string>;
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(file, JSON.stringify(map));
  return map;
}

/** The distribution to install for an import name: built-in table, then wheelhouse metadata, then the name itself. */
export function distributionFor(module: string, wheelhouse: Record<string, string>): { dist: string; source: string } {
  const top = module.split('.')[0];
  if (MODULE_TO_DIST[top])
    return {
      dist: MODULE_TO_DIST[top],
      source: 'built-in module→distribution table',
    };
  if (wheelhouse[top])
    return {
      dist: wheelhouse[top],
      source: 'top_level.txt/RECORD of a wheel in the wheelhouse',
    };
  return { dist: top.replace(/_/g, '-'), source: 'same name as the module' };
}
