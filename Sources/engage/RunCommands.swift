import ArgumentParser
import Coordinator
import Dataset
import Foundation
import ModelZoo
import Registry
import Wire
import Worker

struct ClusterOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "The cluster file.")
    var config = "cluster.yaml"

    @Option(help: "Override data.rows from the cluster file.")
    var rows: Int?

    @Option(help: "Override registry.path from the cluster file.")
    var registry: String?

    @Option(help: "Override the coordinator's bind endpoint (e.g. tcp://127.0.0.1:*).")
    var bind: String?

    @Flag(name: .shortAndLong, help: "Log every job's progress (plain lines, no live view) and debug messages.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "No live view and no event lines: warnings and the summary only.")
    var quiet = false

    @Option(help: ArgumentHelp("Write the run's events to FILE as JSON lines (one object per line).", valueName: "FILE"))
    var events: String?

    @Flag(help: ArgumentHelp(
        "Allow a bind other hosts can reach without CURVE (trusted networks only).",
        discussion: "Without CURVE, whoever reaches the port gets shards of customer data and can register versions; a non-loopback bind is refused unless this is given."))
    var insecure = false

    @Option(name: .customLong("resume"), help: ArgumentHelp(
        "Resume the interrupted run RUN_ID: jobs its journal holds as done are not run again.",
        discussion: "Refused when the run is unknown, already succeeded, or its config or dataset SHA-256 differs.",
        valueName: "RUN_ID"))
    var resumeRunID: String?

    func validate() throws {
        if quiet, verbose { throw ValidationError("--quiet and --verbose contradict each other; give one") }
    }

    func display(json: Bool = false) throws -> RunDisplay {
        try RunDisplay.choose(quiet: quiet, verbose: verbose, json: json, eventsPath: events)
    }

    func load() throws -> ClusterConfig {
        var config = try ClusterConfig.load(path: self.config)
        if let rows { config.data.rows = rows }
        if let registry { config.registryPath = registry }
        if let bind { config.coordinator.bind = bind }
        return config
    }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the pipeline once: the coordinator plus the local workers cluster.yaml lists, then print a summary.")

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "Local worker processes to start (default: the localhost entries of cluster.yaml).")
    var workers: Int?

    @Option(help: "Training threads per local worker (0 = the cores shared among the local workers; default: cluster.yaml).")
    var threads: Int?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func run() throws {
        try failing {
            let config = try cluster.load()
            let display = try cluster.display(json: json)
            let logger = display.logger("engage.run")
            let local = config.localWorkers
            var runner = PipelineRunner(config: config, configSHA256: ClusterConfig.fingerprint(path: cluster.config), logger: logger,
                                        workerExecutable: currentExecutable(), localWorkers: workers ?? local.count,
                                        workerThreads: ClusterConfig.threadsPerLocalWorker(requested: threads ?? local.threads, workers: workers ?? local.count), runID: cluster.resumeRunID, resume: cluster.resumeRunID != nil)
            runner.insecure = cluster.insecure
            display.configure(&runner)
            let summary = try runner.run()
            CLILogging.console = nil
            print(json ? SummaryPrinter.json(summary) : SummaryPrinter.text(summary))
            if let failure = summary.failure { throw CLIFailure(message: "run \(summary.runID) failed: \(failure)") }
        }
    }
}

struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run the pipeline once, serving jobs to workers started elsewhere (engage worker --connect ...).")

    @OptionGroup var cluster: ClusterOptions

    func run() throws {
        try failing {
            let config = try cluster.load()
            let display = try cluster.display()
            let logger = display.logger("engage.coordinator")
            var runner = PipelineRunner(config: config, configSHA256: ClusterConfig.fingerprint(path: cluster.config), logger: logger,
                                        workerExecutable: currentExecutable(), localWorkers: 0, workerThreads: 0,
                                        runID: cluster.resumeRunID, resume: cluster.resumeRunID != nil)
            runner.insecure = cluster.insecure
            display.configure(&runner)
            let summary = try runner.run()
            CLILogging.console = nil
            print(SummaryPrinter.text(summary))
            if let failure = summary.failure { throw CLIFailure(message: "run \(summary.runID) failed: \(failure)") }
        }
    }
}

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Connect to a coordinator and train the jobs it hands out.")

    @Option(help: "The coordinator's endpoint, e.g. tcp://10.0.0.5:5555.")
    var connect: String

    @Option(help: "A name for this worker (default: host-pid).")
    var id: String?

    @Option(help: "Training threads (0 = all cores).")
    var threads = 0

    @Option(help: "Directory for cached shards.")
    var cache: String?

    @Option(help: "Heartbeat interval in milliseconds until the coordinator says otherwise.")
    var heartbeatMs = 1000

    @Flag(help: "Exit when the parent process exits (used by engage run).")
    var exitWithParent = false

    @Option(help: ArgumentHelp("With --exit-with-parent: the parent's pid, so a parent gone before this worker started is noticed (used by engage run).",
                               valueName: "PID"))
    var parentPID: Int32?

    @Option(help: ArgumentHelp(
        "Connect over CURVE with the key folder DIR: DIR/coordinator.key and DIR/workers/NAME.key_secret.",
        discussion: "Needed when the coordinator runs with `security: { curve: true }`; copy only those two files to this host.",
        valueName: "DIR"))
    var keys: String?

    @Option(help: ArgumentHelp("The worker key name for --keys (default: --id); `engage keys generate --workers N` writes worker-1 … worker-N.", valueName: "NAME"))
    var name: String?

    func validate() throws {
        if keys == nil, name != nil { throw ValidationError("--name names a key in the --keys folder; give --keys DIR too") }
        if keys != nil, name == nil, id == nil { throw ValidationError("--keys needs the worker's key name: give --name NAME (or --id NAME)") }
        if parentPID != nil, !exitWithParent { throw ValidationError("--parent-pid names the process --exit-with-parent watches; give --exit-with-parent too") }
    }

    @Flag(name: .shortAndLong) var verbose = false

    func run() throws {
        try failing {
            let name = id ?? self.name ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
            var options = WorkerOptions(endpoint: connect, workerID: name, threads: threads,
                                        cacheDirectory: cache ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("engage-worker-\(name)"))
            options.heartbeatMs = heartbeatMs
            options.exitWithParent = exitWithParent
            options.parentPID = parentPID
            if let keys { options.curve = try CurveClientKeys(directory: CurveKeyDirectory(path: keys), worker: self.name ?? name) }
            let node = try WorkerNode(options: options, logger: CLILogging.logger("engage.worker.\(name)", verbose: verbose))
            _ = try node.run()
        }
    }
}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Write the synthetic customer dataset as CSV files.")

    @Option(help: "Number of customers.") var rows = 100_000
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Option(help: "Output directory (customers.csv, interactions.csv, items.csv).") var out: String
    @Option(help: ArgumentHelp("A known drift of the customers, repeatable: covariate:NAME[,NAME…]=±Ksd (* = every numeric feature), mix:NAME=LEVEL@SHARE, concept[:TARGET].",
                               valueName: "SPEC"))
    var drift: [String] = []

    func run() throws {
        try failing {
            var data = CustomerGenerator(rows: rows, seed: seed).generate()
            let specs = try drift.map { try DriftSpec(parsing: $0) }
            if !specs.isEmpty {
                let customers = try specs.reduce(data.customers) { try $1.apply(to: $0, seed: seed) }
                data = GeneratedData(customers: customers, interactions: data.interactions, items: data.items)
            }
            try data.write(to: out)
            print("wrote \(data.customers.rowCount) customers, \(data.interactions.rowCount) interactions, \(data.items.rowCount) items to \(out)")
        }
    }
}
