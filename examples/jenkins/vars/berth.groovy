// A Jenkins shared-library step around the `berth` command: `berth.names(…)`, `berth.deploy(…)`,
// `berth.probeRegistry(…)`, `berth.audit(…)`. Every call runs `berth --json …` and reads its one
// JSON document, so the pipeline branches on data (kinds, finding ids, node ids), never on text.
//
// Needs on the agent: the `berth` command on PATH (`npm install -g @berth/cli`), access to the
// Docker engine (DOCKER_HOST) and to etcd (ETCDCTL_ENDPOINTS) as the commands need them; in
// Jenkins: the Pipeline Utility Steps plugin (readJSON) and the Credentials Binding plugin.
//
// Exit codes (docs/cli.md): 0 ok; 1 findings at or above --fail-on, or nodes lagging; 2 usage
// error; 3 runtime failure. 2 and 3 fail the build with the error's kind and message; what 1 does
// is the caller's choice (`onProblem: 'fail' | 'unstable' | 'ignore'`).

/** Quotes one argument for sh: 'it'"'"'s'. */
@NonCPS
String q(Object value) {
  return "'" + value.toString().replace("'", "'\"'\"'") + "'"
}

@NonCPS
String shellWords(List args) {
  return args.collect { q(it) }.join(' ')
}

/**
 * Runs `berth --json <args>` and answers [code: exit code, doc: the JSON document].
 * `stdin` is a shell fragment piped in, e.g. `printf %s "$BERTH_REGISTRY_PASSWORD" |` — single
 * quoted in Groovy, so the secret is expanded by the shell from the environment, never by Groovy.
 */
Map run(List args, Map options = [:]) {
  String out = "${pwd(tmp: true)}/berth-${args[0]}-${env.BUILD_NUMBER}.json"
  String command = "${options.stdin ?: ''} berth --json ${shellWords(args)} > ${q(out)}"
  int code = sh(script: command, returnStatus: true, label: "berth ${args.take(2).join(' ')}")
  Map doc = readJSON(file: out)
  if (code == 2 || code == 3) {
    error("berth ${args[0]} failed (exit ${code}): ${doc.error?.kind}: ${doc.error?.message}")
  }
  return [code: code, doc: doc]
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
  return namesOf(run(['name'] + refs).doc)
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
 * berth.deploy(key: '/cdn/site', commit: env.GIT_COMMIT, minNodes: 3, timeout: '2m')
 * Answers the document: revision, and wait.nodes (nodeId, commit, serving, healthy, error).
 */
Map deploy(Map args) {
  List cli = ['deploy', '--key', args.key, '--commit', args.commit,
              '--by', args.by ?: "${env.JOB_NAME}#${env.BUILD_NUMBER}"]
  if (args.ref) cli += ['--ref', args.ref]
  if (args.etcdEndpoints) cli += ['--etcd-endpoints', args.etcdEndpoints]
  if (args.wait != false) {
    cli += ['--wait', '--min-nodes', (args.minNodes ?: 1).toString(), '--timeout', args.timeout ?: '60s']
  }
  Map result = run(cli)
  if (result.code == 1) {
    problem("not every node serves ${args.commit}: ${laggingText(result.doc)}", args.onProblem)
  }
  return result.doc
}

/**
 * Probes a registry; the user and password come from a Jenkins username/password credential,
 * bound into the environment and piped to --password-stdin:
 * berth.probeRegistry(url: 'registry.example.com:5443', credentialsId: 'registry-ci', ca: 'ci/registry.crt')
 */
Map probeRegistry(Map args) {
  List cli = ['probe', 'registry', args.url, '--fail-on', args.failOn ?: 'critical']
  if (args.ca) cli += ['--ca', args.ca]
  Map result
  if (args.credentialsId) {
    withCredentials([usernamePassword(credentialsId: args.credentialsId,
                                      usernameVariable: 'BERTH_REGISTRY_USER',
                                      passwordVariable: 'BERTH_REGISTRY_PASSWORD')]) {
      result = run(cli + ['--user', env.BERTH_REGISTRY_USER, '--password-stdin'],
                   [stdin: 'printf %s "$BERTH_REGISTRY_PASSWORD" |'])
    }
  } else {
    result = run(cli)
  }
  if (result.code == 1) {
    problem("registry ${args.url}: ${result.doc.failing.join(', ')}", args.onProblem)
  }
  return result.doc
}

/** Audits an image on the agent's engine: berth.audit(image: 'site:42', failOn: 'warn'). */
Map audit(Map args) {
  Map result = run(['audit', args.image, '--fail-on', args.failOn ?: 'critical'])
  if (result.code == 1) {
    problem("image ${args.image} carries: ${result.doc.failing.join(', ')}", args.onProblem)
  }
  return result.doc
}

return this
