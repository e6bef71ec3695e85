import ArgumentParser
import Coordinator
import Foundation
import Registry

struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry", abstract: "Query the model registry, and promote, alias, roll back or archive versions.",
        subcommands: [List.self, Show.self, Compare.self, History.self, Runs.self, Batches.self, Slots.self, Promote.self, Alias.self, Rollback.self, Archive.self])

    struct Location: ParsableArguments {
        @Option(help: "The registry database (default: registry.path of the cluster file).")
        var registry: String?

        @Option(name: .shortAndLong, help: "The cluster file that names the registry (and, for promote, its gates).")
        var config = "cluster.yaml"

        @Flag(help: "Print JSON.")
        var json = false

        var databasePath: String {
            get throws {
                try registry ?? ClusterConfig.loadIfPresent(path: config).registryPath
            }
        }

        func open() throws -> ModelRegistry { try ModelRegistry.openReadOnly(path: try databasePath) }

        /// For commands that change stages or aliases; never creates a registry.
        func openForChanges() throws -> ModelRegistry { try ModelRegistry.openExisting(path: try databasePath) }

        func printJSON<T: Encodable>(_ value: T) throws {
            print(String(decoding: try ModelVersion.jsonEncoder(pretty: true).encode(value), as: UTF8.self))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List registered versions, optionally filtered.",
            discussion: """
                --where takes comparisons joined by and, or, not and parentheses, e.g.
                  "auc > 0.85 and created > 2026-11-01"
                  "train.auc >= 0.9 or (stage = production and fairness = pass)"
                Fields: a metric (test split; train.auc for another split), version, created (a date, or
                2026-11-01T10:30Z), model, run, kind, worker, host, objective, stage, alias, fairness
                (pass/fail), disparate_impact. Text fields take = and != with a word or a quoted string.
                """)
        @OptionGroup var location: Location
        @Option(help: "Only this model.") var model: String?
        @Option(name: .customLong("where"), help: "A filter such as \"auc > 0.85 and created > 2026-11-01\".") var filter: String?

        func run() throws {
            try failing {
                let registry = try location.open()
                let versions = try filter.map { try registry.versions(model: model, where: $0) } ?? registry.versions(model: model)
                if location.json {
                    print(String(decoding: try ModelVersion.jsonEncoder().encode(versions), as: UTF8.self))
                    return
                }
                let rows = versions.map { v in
                    [v.model, String(v.version), v.stage == .none ? "" : v.stage.rawValue, ISO8601DateFormatter().string(from: v.createdAt),
                     v.metrics.filter { $0.split == "test" }.map { "\($0.name)=\(format($0.value))" }.joined(separator: " "),
                     v.fairnessVerdict?.rawValue ?? "", v.aliases.joined(separator: ","), v.runID]
                }
                print(renderTable(header: ["model", "version", "stage", "created", "test metrics", "fairness", "aliases", "run"], rows: rows))
            }
        }
    }

    /// The pipeline runs, so that an interrupted one can be found and resumed.
    struct Runs: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "runs",
            abstract: "List pipeline runs: status, jobs done, versions; an interrupted run can be resumed.",
            discussion: """
                A run whose coordinator died shows as interrupted (checked on the coordinator's own host;
                a run coordinated elsewhere shows as recorded): `engage run --resume RUN_ID` picks it up.
                """)
        @OptionGroup var location: Location

        func run() throws {
            try failing {
                let registry = try location.open()
                let runs = try registry.runs()
                let versions = Dictionary(grouping: try registry.versions(), by: \.runID)
                let summaries = try runs.map { run in
                    let jobs = try registry.jobs(runID: run.id)
                    return RunListing(id: run.id, status: CoordinatorProcess.displayStatus(of: run), startedAt: run.startedAt,
                                      finishedAt: run.finishedAt, jobsDone: jobs.filter { $0.status == .done }.count,
                                      jobsJournaled: jobs.count, versions: versions[run.id]?.count ?? 0, resumes: run.resumes)
                }
                if location.json { return try location.printJSON(summaries) }
                let dates = ISO8601DateFormatter()
                let rows = summaries.map { r in
                    [r.id, r.status.rawValue, dates.string(from: r.startedAt), r.finishedAt.map(dates.string(from:)) ?? "",
                     "\(r.jobsDone)/\(r.jobsJournaled)", String(r.versions), String(r.resumes)]
                }
                print(renderTable(header: ["run", "status", "started", "finished", "jobs done", "versions", "resumes"], rows: rows))
                if summaries.contains(where: { $0.status == .interrupted }) {
                    print("an interrupted run continues with: engage run --resume RUN_ID")
                }
            }
        }

        struct RunListing: Encodable {
            let id: String
            let status: RunStatus
            let startedAt: Date
            let finishedAt: Date?
            let jobsDone: Int
            let jobsJournaled: Int
            let versions: Int
            let resumes: Int
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show one version: MODEL (latest), MODEL@VERSION, MODEL@production, MODEL@staging, MODEL@latest or MODEL@ALIAS.")
        @OptionGroup var location: Location
        @Argument(help: "MODEL[@VERSION|@STAGE|@ALIAS]") var reference: String

        func run() throws {
            try failing {
                let registry = try location.open()
                let version = try registry.version(reference: reference)
                let importance = try registry.importance(model: version.model, version: version.version)
                let fairness = try registry.fairness(model: version.model, version: version.version)
                if location.json {
                    struct Detail: Encodable { let version: ModelVersion; let importance: [ImportanceRecord]; let fairness: FairnessRecord? }
                    print(String(decoding: try ModelVersion.jsonEncoder().encode(Detail(version: version, importance: importance, fairness: fairness)), as: UTF8.self))
                    return
                }
                let iso = ISO8601DateFormatter()
                print("\(version.reference)  kind \(version.kind)\(version.objective.map { " (\($0))" } ?? "")  stage \(version.stage.rawValue)"
                    + (version.aliases.isEmpty ? "" : "  aliases \(version.aliases.joined(separator: ","))"))
                print("run \(version.runID)  created \(iso.string(from: version.createdAt))")
                print("artifact \(version.artifactPath) (\(version.artifactBytes) bytes, sha256 \(version.artifactSHA256))")
                print("dataset \(version.datasetSHA256)  config \(version.configSHA256)  code \(version.codeVersion)")
                print("shards \(version.shardIDs.joined(separator: ","))")
                var trained = "worker \(version.worker)\(version.host.map { " on \($0)" } ?? "")  trained in \(format(version.trainSeconds, digits: 2)) s"
                if let started = version.startedAt, let finished = version.finishedAt {
                    trained += " (\(iso.string(from: started)) – \(iso.string(from: finished)))"
                }
                print(trained)
                print("parameters \(version.parameters)")
                if !version.prohibitedFeatures.isEmpty {
                    print("PROHIBITED features in the training data: \(version.prohibitedFeatures.joined(separator: ", "))")
                }
                print("")
                print(renderTable(header: ["split", "metric", "value"], rows: version.metrics.map { [$0.split, $0.name, format($0.value, digits: 6)] }))
                let top = importance.sorted { $0.gain > $1.gain }.prefix(15)
                if !top.isEmpty {
                    print("")
                    print(renderTable(header: ["feature", "gain", "splits"], rows: top.map { [$0.feature, format($0.gain, digits: 2), String($0.splits)] }))
                }
                if let fairness {
                    print("")
                    let impacts = fairness.disparateImpact.sorted { $0.key < $1.key }
                    print("fairness \(fairness.verdict.rawValue)" + (impacts.isEmpty ? "" : ": disparate impact "
                        + impacts.map { "\($0.key) \(format($0.value, digits: 3))" }.joined(separator: ", ")))
                }
            }
        }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compare",
            abstract: "Compare two versions: metrics with deltas, importance shift, fairness deltas and the parameter diff.")
        @OptionGroup var location: Location
        @Argument(help: "The model.") var model: String
        @Argument(help: "The base version (e.g. production's).") var base: Int
        @Argument(help: "The version compared with it.") var other: Int

        func run() throws {
            try failing {
                let c = try location.open().compare(model: model, base: base, other: other)
                if location.json { return try location.printJSON(c) }
                let a = "v\(c.base)", b = "v\(c.other)"
                print("\(c.model): v\(c.base) → v\(c.other)\n")
                print(renderTable(header: ["split", "metric", a, b, "delta", ""], rows: c.metrics.map { m in
                    [m.split, m.name, optional(m.base, 6), optional(m.other, 6), signed(m.delta, 6),
                     m.improved.map { $0 ? "better" : "worse" } ?? ""]
                }))
                if !c.importance.isEmpty {
                    print("")
                    print(renderTable(header: ["feature", "rank \(a)", "rank \(b)", "moved", "share \(a)", "share \(b)", "share delta"],
                                      rows: c.importance.map { s in
                        [s.feature, s.baseRank.map(String.init) ?? "-", s.otherRank.map(String.init) ?? "-",
                         s.rankChange.map { $0 == 0 ? "" : ($0 > 0 ? "+\($0)" : String($0)) } ?? (s.baseRank == nil ? "new" : "gone"),
                         optional(s.baseShare, 3), optional(s.otherShare, 3), signed(s.shareDelta, 3)]
                    }))
                }
                print("")
                print("fairness \(c.baseFairnessVerdict?.rawValue ?? "none") → \(c.otherFairnessVerdict?.rawValue ?? "none")")
                if !c.fairness.isEmpty {
                    print(renderTable(header: ["attribute", "group", "metric", a, b, "delta"], rows: c.fairness.map { f in
                        [f.attribute, f.group ?? "(all)", f.metric, optional(f.base, 4), optional(f.other, 4), signed(f.delta, 4)]
                    }))
                }
                print("")
                if c.parameters.isEmpty {
                    print("parameters: identical")
                } else {
                    print(renderTable(header: ["parameter", a, b], rows: c.parameters.map { [$0.path, $0.base ?? "-", $0.other ?? "-"] }))
                }
            }
        }

        private func optional(_ value: Double?, _ digits: Int) -> String { value.map { format($0, digits: digits) } ?? "-" }
        private func signed(_ value: Double?, _ digits: Int) -> String {
            guard let value else { return "-" }
            return (value > 0 ? "+" : "") + format(value, digits: digits)
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "history",
            abstract: "The audit log of a model: registrations, promotions, refusals, aliases, rollbacks and archiving.")
        @OptionGroup var location: Location
        @Argument(help: "The model.") var model: String

        func run() throws {
            try failing {
                let events = try location.open().history(model: model)
                if location.json { return try location.printJSON(events) }
                let iso = ISO8601DateFormatter()
                print(renderTable(header: ["#", "when", "action", "version", "from", "to", "who", "why"], rows: events.map { e in
                    let versions = e.action == RegistryEvent.Action.alias.rawValue || e.action == RegistryEvent.Action.rollback.rawValue
                    let state = { (value: String?) in value.map { versions ? "v\($0)" : $0 } ?? "" }
                    return [String(e.id), iso.string(from: e.at), action(e), e.version.map { "v\($0)" } ?? "", state(e.from), state(e.to),
                            e.actor, e.reason ?? ""]
                }))
            }
        }

        /// `alias champion` for alias events, whose name is in the detail; the action otherwise.
        private func action(_ event: RegistryEvent) -> String {
            guard event.action == RegistryEvent.Action.alias.rawValue,
                  let detail = try? JSONSerialization.jsonObject(with: Data(event.detail.utf8)) as? [String: Any],
                  let alias = detail["alias"] as? String else { return event.action }
            return "alias \(alias)"
        }
    }

    struct Promote: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "promote",
            abstract: "Promote a version to staging or production through the gates of cluster.yaml's promotion section.",
            discussion: """
                Gates: the model's metric thresholds (promotion.gates), the fairness verdict (every sensitive
                attribute's disparate impact ≥ min_disparate_impact, when require_fair), no prohibited attribute
                in the training data, and, to production, beating the production version's primary test metric
                by promotion.margin. A refusal names the failed gate and is logged; --force --reason overrides.
                """)
        @OptionGroup var location: Location
        @Argument(help: "The model.") var model: String
        @Argument(help: "The version.") var version: Int
        @Option(help: "staging or production.") var to: String
        @Flag(help: "Promote even if gates fail (needs --reason).") var force = false
        @Option(help: "Why; required with --force, logged in any case.") var reason: String?

        func run() throws {
            try failing {
                guard let target = Stage(rawValue: to), Stage.promotable.contains(target) else {
                    throw CLIFailure(message: "--to must be staging or production, not '\(to)'")
                }
                let policy = PromotionPolicy(config: try ClusterConfig.loadIfPresent(path: location.config).promotion)
                let registry = try location.openForChanges()
                do {
                    let decision = try registry.promote(model: model, version: version, to: target, policy: policy, force: force, reason: reason)
                    if location.json { return try location.printJSON(decision) }
                    printGates(decision.gates)
                    let replaced = decision.replaced.map { " (replaces \(model)@\($0))" } ?? ""
                    print("\(model)@\(version): \(decision.from.rawValue) → \(target.rawValue)\(replaced)"
                        + (decision.outcome == .forced ? ", FORCED past failed gates: \(decision.reason ?? "")" : ""))
                } catch let refused as PromotionRefused {
                    if location.json { try location.printJSON(refused.decision) } else { printGates(refused.decision.gates) }
                    throw refused
                }
            }
        }

        private func printGates(_ gates: [GateResult]) {
            print(renderTable(header: ["gate", "result", "detail"], rows: gates.map { [$0.gate, $0.passed ? "pass" : "FAIL", $0.detail] }))
        }
    }

    struct Alias: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "alias", abstract: "Point an alias (champion, challenger, any name) at a version.")
        @OptionGroup var location: Location
        @Argument(help: "The model.") var model: String
        @Argument(help: "The alias.") var name: String
        @Argument(help: "The version.") var version: Int
        @Option(help: "Why (logged).") var reason: String?

        func run() throws {
            try failing {
                let registry = try location.openForChanges()
                try registry.setAlias(model: model, alias: name, version: version, reason: reason)
                let target = try registry.version(model: model, version: version)
                if location.json { return try location.printJSON(target) }
                print("\(model)@\(name) → \(target.reference)")
            }
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rollback",
            abstract: "Put production back on the version that was in production before the last promotion.")
        @OptionGroup var location: Location
        @Argument(help: "The model.") var model: String
        @Option(help: "Why (logged).") var reason: String?

        func run() throws {
            try failing {
                let result = try location.openForChanges().rollback(model: model, reason: reason)
                if location.json { return try location.printJSON(result) }
                print("\(model) production: \(model)@\(result.from) → \(model)@\(result.to)")
            }
        }
    }

    struct Archive: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "archive", abstract: "Archive a version (not the production one); its aliases are removed.")
        @OptionGroup var location: Location
        @Argument(help: "The model.") var model: String
        @Argument(help: "The version.") var version: Int
        @Option(help: "Why (logged).") var reason: String?

        func run() throws {
            try failing {
                let registry = try location.openForChanges()
                try registry.archive(model: model, version: version, reason: reason)
                let archived = try registry.version(model: model, version: version)
                if location.json { return try location.printJSON(archived) }
                print("archived \(archived.reference)")
            }
        }
    }
}
