// A Jenkins shared-library step around the `berth` command: `berth.names(…)`, `berth.deploy(…)`,
// `berth.probeRegistry(…)`, `berth.audit(…)`. Every call runs `berth --json …` and reads its one
// JSON document, so the pipeline branches on data (kinds, finding ids, node ids), never on text.
//
// Needs on the agent: the `berth` command on PATH (`npm install -g @berth/cli`), access to the
// Docker engine (DOCKER_HOST) and to etcd (ETCDCTL_ENDPOINTS) as the commands need them; in
// Jenkins: the Pipeline Utility Steps plugin (readJSON) and the Credentials Binding plugin.
//
// The tables below (EXIT_CODES, LINE, STEPS) are plain literals on purpose:
// test/jenkins-example.test.ts reads them, builds the command lines of the Jenkinsfile's calls
// from them and runs those lines against a real Docker engine, etcd and registry.
import groovy.transform.Field

/**
 * berth's exit codes (packages/cli/src/exit-codes.ts, docs/cli.md). `findings` (exit 1) is the
 * caller's choice (`onProblem: 'fail' | 'unstable' | 'ignore'`); `usage` and `failure` fail the
 * build with the error's kind and message; any other code (130 after a second Ctrl-C, 127 when
 * `berth` is not on PATH, a crash) fails it with whatever berth printed.
 */
@Field final Map EXIT_CODES = [0: 'ok', 1: 'findings', 2: 'usage', 3: 'failure']

/**
 * The one shell line of every call. %STDIN% is a shell fragment piped in (or nothing), %ARGS% the
 * quoted words, %OUT% and %ERR% files of this call alone: parallel calls never share them.
 */
@Field final String LINE = '%STDIN%berth --json %ARGS% >%OUT% 2>%ERR%'

/**
 * What each step runs: the command's words, the option that is its operand (if any), and its
 * options in order, step option → flag (`true` gives the bare flag; null or false gives nothing).
 * `defaults` fill what a call leaves out.
 */
@Field final Map STEPS = [
  names        : [command: ['name'], flags: [:], defaults: [:]],
  deploy       : [command: ['deploy'],
                  flags: [key: '--key', commit: '--commit', ref: '--ref', by: '--by',
                          etcdEndpoints: '--etcd-endpoints', wait: '--wait', minNodes: '--min-nodes',
                          timeout: '--timeout'],
                  defaults: [wait: true, minNodes: 1, timeout: '60s']],
  probeRegistry: [command: ['probe', 'registry'], operand: 'url',
                  flags: [failOn: '--fail-on', ca: '--ca'],
                  defaults: [failOn: 'critical']],
  audit        : [command: ['audit'], operand: 'image',
                  flags: [failOn: '--fail-on'],
                  defaults: [failOn: 'critical']],
]

/** Quotes one argument for sh: 'it'"'"'s'. */
@NonCPS
String q(Object value) {
  return "'" + value.toString().replace("'", "'\"'\"'") + "'"
}

@NonCPS
String shellWords(List args) {
  return args.collect { q(it) }.join(' ')
}

/** The words of `step` for the call's options (its defaults filled in), as STEPS says. */
@NonCPS
List wordsOf(String step, Map args) {
  Map spec = STEPS[step]
  Map options = spec.defaults + args
  List words = [] + spec.command
  if (spec.operand) words << options[spec.operand]
  spec.flags.each { option, flag ->
    def value = options[option]
    if (value == true) words << flag
    else if (value != null && value != false) words += [flag, value.toString()]
  }
  return words
}

/** The JSON document in `text`, or null when it is not one. */
Map parsed(String text) {
  try {
    return text?.trim() ? readJSON(text: text) : null
  } catch (err) {
    return null
  }
}

/**
 * Runs `berth --json <args>` and answers [code:, meaning: (EXIT_CODES), doc: the JSON document].
 * `stdin` is a shell fragment piped in, e.g. `printf %s "$BERTH_REGISTRY_PASSWORD" |` — single
 * quoted in Groovy, so the secret is expanded by the shell from the environment, never by Groovy.
 */
Map run(List args, Map options = [:]) {
  String base = "${pwd(tmp: true)}/berth-${UUID.randomUUID()}"
  String out = "${base}.json"
  String err = "${base}.err"
  String command = LINE.replace('%STDIN%', options.stdin ? "${options.stdin} " : '')
                       .replace('%ARGS%', shellWords(args))
                       .replace('%OUT%', q(out))
                       .replace('%ERR%', q(err))
  int code
  String stdout = ''
  String stderr = ''
  try {
    code = sh(script: command, returnStatus: true, label: "berth ${args.take(2).join(' ')}")
    if (fileExists(out)) stdout = readFile(out)
    if (fileExists(err)) stderr = readFile(err)
  } finally {
    sh(script: "rm -f ${q(out)} ${q(err)}", label: 'berth: remove its output files')
  }
  String meaning = EXIT_CODES[code]
  Map doc = meaning ? parsed(stdout) : null
  if (doc == null) {
    error("berth ${args[0]} ended with exit ${code} (${meaning ?: 'not a berth exit code'})\n" +
          "stdout: ${stdout.trim() ?: '(empty)'}\nstderr: ${stderr.trim() ?: '(empty)'}")
  }
  if (stderr.trim()) echo(stderr.trim())
  if (meaning == 'usage' || meaning == 'failure') {
    error("berth ${args[0]} failed (exit ${code}, ${meaning}): ${doc.error?.kind}: ${doc.error?.message}")
  }
  return [code: code, meaning: meaning, doc: doc]
}

/** What to do with exit code 1 (findings, lagging nodes). */
void problem(String message, String onProblem) {
  switch (onProblem ?: 'fail') {
    case 'fail': error(message); break
    case 'unstable': unstable(message); break
    default: echo(message)
  }
}

/** Container ids (or prefixes) to names: [ref: name]. */
Map names(List refs) {
  return namesOf(run(wordsOf('names', [:]) + refs).doc)
}

@NonCPS
Map namesOf(Map doc) {
  return doc.names.collectEntries { [(it.ref): it.name] }
}

/** One line per lagging node: `cdn-2 serves 3f2a… (GitFetch: …)`. */
@NonCPS
String laggingText(Map doc) {
  List lines = doc.wait.nodes.findAll { !it.serving }.collect {
    "${it.nodeId} serves ${it.commit ?: 'nothing'}" + (it.error ? " (${it.error.kind}: ${it.error.message})" : '')
  }
  return lines ? lines.join('; ') : doc.wait.reason
}

/**
 * Announces `commit` on `key` and waits for the nodes:
 * berth.deploy(key: 'cdn/site', commit: env.GIT_COMMIT, by: "${env.JOB_NAME}#${env.BUILD_NUMBER}",
 *              minNodes: 3, timeout: '2m')
 * Answers the document: revision, and wait.nodes (nodeId, commit, serving, healthy, error).
 * `wait: false` only announces (then minNodes and timeout do not apply).
 */
Map deploy(Map args) {
  Map options = args.wait == false ? args + [minNodes: null, timeout: null] : args
  Map result = run(wordsOf('deploy', options))
  if (result.meaning == 'findings') {
    problem("not every node serves ${args.commit}: ${laggingText(result.doc)}", args.onProblem)
  }
  return result.doc
}

/**
 * Probes a registry; the user and password come from a Jenkins username/password credential,
 * bound into the environment (berth reads BERTH_REGISTRY_USER itself) and the password piped to
 * --password-stdin, so neither is ever part of a command line:
 * berth.probeRegistry(url: 'registry.example.com:5443', credentialsId: 'registry-ci', ca: 'ci/registry.crt')
 */
Map probeRegistry(Map args) {
  List cli = wordsOf('probeRegistry', args)
  Map result
  if (args.credentialsId) {
    withCredentials([usernamePassword(credentialsId: args.credentialsId,
                                      usernameVariable: 'BERTH_REGISTRY_USER',
                                      passwordVariable: 'BERTH_REGISTRY_PASSWORD')]) {
      result = run(cli + ['--password-stdin'], [stdin: 'printf %s "$BERTH_REGISTRY_PASSWORD" |'])
    }
  } else {
    result = run(cli)
  }
  if (result.meaning == 'findings') {
    problem("registry ${args.url}: ${result.doc.failing.join(', ')}", args.onProblem)
  }
  return result.doc
}

/**
 * Audits an image on the agent's engine (pull it first: berth audits what the engine has):
 * berth.audit(image: 'site:42', failOn: 'warn')
 */
Map audit(Map args) {
  Map result = run(wordsOf('audit', args))
  if (result.meaning == 'findings') {
    problem("image ${args.image} carries: ${result.doc.failing.join(', ')}", args.onProblem)
  }
  return result.doc
}

return this
