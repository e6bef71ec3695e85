import Foundation

/// A known change applied to generated customers, for batches that drift on purpose
/// (`engage generate --drift SPEC`), so that drift detection and retraining can be checked
/// against the truth.
///
/// - `covariate:NAME[,NAME…]=±Ksd` shifts numeric features by K of their standard deviations
///   (`*` names every numeric feature);
/// - `mix:NAME=LEVEL@SHARE` gives that share of the rows the level LEVEL of a text feature;
/// - `concept[:TARGET]` inverts the relationship between the features and a label (default
///   `churn_30_day`): a binary label is flipped, a numeric one mirrored around its mean.
public enum DriftSpec: Sendable, Equatable {
    case covariate(features: [String], standardDeviations: Double)
    case mix(feature: String, level: String, share: Double)
    case concept(target: String)

    public init(parsing text: String) throws {
        func fail(_ why: String) -> DriftSpecError { DriftSpecError(message: "--drift '\(text)': \(why)") }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts.first {
        case "covariate":
            guard parts.count == 2, let eq = parts[1].lastIndex(of: "="), parts[1][eq...].hasSuffix("sd"),
                  let k = Double(parts[1][parts[1].index(after: eq)...].dropLast(2)) else {
                throw fail("expected covariate:NAME[,NAME…]=±Ksd, e.g. covariate:days_since_last_login=+2sd")
            }
            let names = parts[1][..<eq].split(separator: ",").map(String.init)
            guard !names.isEmpty else { throw fail("no feature named") }
            self = .covariate(features: names, standardDeviations: k)
        case "mix":
            guard parts.count == 2, let eq = parts[1].firstIndex(of: "="), let at = parts[1].lastIndex(of: "@"), eq < at,
                  let share = Double(parts[1][parts[1].index(after: at)...]), share > 0, share <= 1 else {
                throw fail("expected mix:NAME=LEVEL@SHARE with SHARE in (0, 1], e.g. mix:region=north@0.6")
            }
            self = .mix(feature: String(parts[1][..<eq]), level: String(parts[1][parts[1].index(after: eq)..<at]), share: share)
        case "concept":
            self = .concept(target: parts.count == 2 ? parts[1] : "churn_30_day")
        default:
            throw fail("expected covariate:…, mix:… or concept[:TARGET]")
        }
    }

    /// `table` with the change applied; `seed` picks the rows of a `mix`.
    public func apply(to table: Table, seed: UInt64) throws -> Table {
        var result = table
        switch self {
        case .covariate(let features, let k):
            let names = features == ["*"] ? CustomerColumns.features.filter { !$0.isCategorical }.map(\.name) : features
            for name in names {
                guard case .numeric(let values) = try Self.column(name, table) else { throw DriftSpecError(message: "--drift: '\(name)' is not numeric") }
                let present = values.filter { !$0.isNaN }
                let mean = present.reduce(0, +) / Double(max(present.count, 1))
                let sd = (present.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(present.count - 1, 1))).squareRoot()
                try result.set(name, .numeric(values.map { $0 + k * sd }))
            }
        case .mix(let feature, let level, let share):
            guard case .categorical(var codes, var levels) = try Self.column(feature, table) else {
                throw DriftSpecError(message: "--drift: '\(feature)' is not a text feature")
            }
            if !levels.contains(level) { levels.append(level) }
            let code = Int32(levels.firstIndex(of: level)!)
            var random = SeededRandom(seed: seed ^ 0x6D69_7821)
            for i in codes.indices where random.bernoulli(share) { codes[i] = code }
            try result.set(feature, .categorical(codes: codes, levels: levels))
        case .concept(let target):
            guard case .numeric(let values) = try Self.column(target, table) else { throw DriftSpecError(message: "--drift: '\(target)' is not numeric") }
            let binary = values.allSatisfy { $0.isNaN || $0 == 0 || $0 == 1 }
            let present = values.filter { !$0.isNaN }
            let mean = present.reduce(0, +) / Double(max(present.count, 1))
            try result.set(target, .numeric(values.map { binary ? 1 - $0 : 2 * mean - $0 }))
        }
        return result
    }

    private static func column(_ name: String, _ table: Table) throws -> Column {
        guard let column = try? table.column(name) else { throw DriftSpecError(message: "--drift: the customers table has no column '\(name)'") }
        return column
    }
}

/// Why a `--drift` specification was refused.
public struct DriftSpecError: Error, CustomStringConvertible, LocalizedError {
    public let message: String
    public var description: String { message }
    public var errorDescription: String? { message }
}
