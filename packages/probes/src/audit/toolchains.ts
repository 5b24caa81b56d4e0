/** What kind of tool an image carries. */
export type ToolKind = 'compiler' | 'build-tool' | 'language-toolchain' | 'vcs' | 'package-manager';

export interface ToolPattern {
  /** Stable: `gcc`, `make`, `apt`, … */
  readonly id: string;
  readonly label: string;
  readonly kind: ToolKind;
  /** Matched against a file's name. */
  readonly name: RegExp;
  /** Where the name counts; default: any `bin` or `sbin` directory. */
  readonly where?: RegExp;
}

const CROSS = '(?:[a-z0-9_]+-(?:linux|pc|w64)-[a-z0-9_]+-)?';
const GCC_INTERNALS = /^\/usr\/(?:lib|libexec|lib64)\/gcc(?:-[a-z-]+)?\//;

/** The build toolchains and package managers berth looks for, by file name and place. */
export const TOOL_PATTERNS: readonly ToolPattern[] = [
  {
    id: 'gcc',
    label: 'GNU C compiler',
    kind: 'compiler',
    name: new RegExp(`^${CROSS}gcc(?:-\\d+(?:\\.\\d+)*)?$`),
  },
  {
    id: 'gcc',
    label: 'GNU C compiler',
    kind: 'compiler',
    name: /^(?:cc1|collect2|lto1)$/,
    where: GCC_INTERNALS,
  },
  {
    id: 'g++',
    label: 'GNU C++ compiler',
    kind: 'compiler',
    name: new RegExp(`^${CROSS}g\\+\\+(?:-\\d+(?:\\.\\d+)*)?$`),
  },
  {
    id: 'g++',
    label: 'GNU C++ compiler',
    kind: 'compiler',
    name: /^cc1plus$/,
    where: GCC_INTERNALS,
  },
  {
    id: 'cc',
    label: 'system C/C++ compiler (cc, c++)',
    kind: 'compiler',
    name: /^(?:cc|c\+\+|c89|c99)$/,
  },
  {
    id: 'clang',
    label: 'Clang/LLVM compiler',
    kind: 'compiler',
    name: /^clang(?:\+\+|-cl|-cpp)?(?:-\d+(?:\.\d+)*)?$/,
  },
  { id: 'tcc', label: 'Tiny C compiler', kind: 'compiler', name: /^tcc$/ },
  {
    id: 'binutils',
    label: 'assembler and linker (binutils)',
    kind: 'compiler',
    name: new RegExp(`^${CROSS}(?:as|ld(?:\\.bfd|\\.gold)?)$|^ld\\.lld$`),
  },
  { id: 'make', label: 'make', kind: 'build-tool', name: /^g?make$/ },
  { id: 'cmake', label: 'CMake', kind: 'build-tool', name: /^cmake$/ },
  { id: 'ninja', label: 'Ninja', kind: 'build-tool', name: /^ninja(?:-build)?$/ },
  { id: 'meson', label: 'Meson', kind: 'build-tool', name: /^meson$/ },
  {
    id: 'autotools',
    label: 'autotools',
    kind: 'build-tool',
    name: /^(?:autoconf|automake|libtool|libtoolize)$/,
  },
  { id: 'bazel', label: 'Bazel', kind: 'build-tool', name: /^bazel(?:isk)?$/ },
  {
    id: 'node-gyp',
    label: 'node-gyp (native Node.js add-ons)',
    kind: 'build-tool',
    name: /^node-gyp(?:\.js)?$/,
    where: /\/(?:s?bin|node_modules\/node-gyp\/bin)\/[^/]+$/,
  },
  { id: 'go', label: 'Go toolchain', kind: 'language-toolchain', name: /^(?:go|gofmt)$/ },
  {
    id: 'rust',
    label: 'Rust toolchain',
    kind: 'language-toolchain',
    name: /^(?:rustc|cargo|rustup)$/,
  },
  {
    id: 'java-build',
    label: 'Java compiler and build tools',
    kind: 'language-toolchain',
    name: /^(?:javac|mvn|gradle|ant|sbt)$/,
  },
  { id: 'git', label: 'git', kind: 'vcs', name: /^git$/ },
  { id: 'hg', label: 'Mercurial', kind: 'vcs', name: /^hg$/ },
  { id: 'svn', label: 'Subversion', kind: 'vcs', name: /^svn$/ },
  { id: 'apt', label: 'apt/dpkg', kind: 'package-manager', name: /^(?:apt|apt-get|dpkg)$/ },
  { id: 'apk', label: 'apk', kind: 'package-manager', name: /^apk$/ },
  { id: 'rpm', label: 'yum/dnf/rpm', kind: 'package-manager', name: /^(?:yum|dnf|microdnf|rpm)$/ },
  { id: 'zypper', label: 'zypper', kind: 'package-manager', name: /^zypper$/ },
  { id: 'pacman', label: 'pacman', kind: 'package-manager', name: /^pacman$/ },
  { id: 'pip', label: 'pip', kind: 'package-manager', name: /^pip(?:\d(?:\.\d+)?)?$/ },
  { id: 'gem', label: 'RubyGems', kind: 'package-manager', name: /^gem$/ },
  { id: 'npm', label: 'npm/yarn/pnpm', kind: 'package-manager', name: /^(?:npm|npx|yarn|pnpm)$/ },
];

/** Directories `auditImage` lists by default: where toolchains and package managers install. */
export const DEFAULT_AUDIT_ROOTS: readonly string[] = [
  '/bin',
  '/sbin',
  '/usr/bin',
  '/usr/sbin',
  '/usr/local',
  '/usr/lib/gcc',
  '/usr/libexec',
  '/usr/lib/jvm',
  '/usr/lib/go',
  '/usr/lib/node_modules',
  '/opt',
  '/root',
];
