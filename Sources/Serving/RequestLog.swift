import Dataset
import Foundation
import Logging
import ModelZoo
import Registry

extension FeatureValue: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let number): try container.encode(number)
        case .text(let text): try container.encode(text)
        case .missing: try container.encodeNil()
        }
    }
}

/// The sampled request log: a share of the served requests, with their features and outputs,
/// written to the registry's `served_requests` table off the request path.
///
/// Exists so that drift can be measured on what a model is actually asked, not only on batches
/// someone remembered to send to `engage watch`. Sampling is deterministic (request i is kept
/// when ⌊i·rate⌋ grows), so a rate of 0.1 keeps exactly every tenth request.
public final class RequestLog: @unchecked Sendable {
    public let rate: Double
    private let registry: ModelRegistry
    private let lock = NSLock()
    private var seen = 0
    private var buffer: [ServedRequestRecord] = []
    private let encoder = EngageJSONEncoder([.sortedKeys])

    public init(registry: ModelRegistry, rate: Double) throws {
        guard rate >= 0, rate <= 1 else { throw ServingError.badRequest("the request log's sample rate must be in [0, 1] (got \(rate))") }
        self.registry = registry
        self.rate = rate
    }

    /// Keeps the request when the sample takes it; cheap when it does not.
    public func record(model: LoadedModel, rows: FeatureRows, scored: ScoredRows) {
        guard rate > 0 else { return }
        lock.lock()
        seen += 1
        let kept = (Double(seen) * rate).rounded(.down) > (Double(seen - 1) * rate).rounded(.down)
        lock.unlock()
        guard kept,
              let features = try? encoder.encode(rows.columns),
              let outputs = try? encoder.encode(Dictionary(uniqueKeysWithValues: zip(scored.names, scored.columns))) else { return }
        let record = ServedRequestRecord(model: model.name, version: model.version.version, servedAt: Date(), rows: rows.rowCount,
                                         features: String(decoding: features, as: UTF8.self), outputs: String(decoding: outputs, as: UTF8.self))
        lock.lock()
        buffer.append(record)
        lock.unlock()
    }

    /// Writes what was kept since the last flush; on failure the records are dropped and the failure logged.
    public func flush(logger: Logger) {
        lock.lock()
        let records = buffer
        buffer = []
        lock.unlock()
        do {
            try registry.logServedRequests(records)
        } catch {
            logger.error("request log: \(records.count) records not written: \(error)")
        }
    }

    /// Flushes every `interval` until the task is cancelled, then once more.
    public func run(every interval: Duration, logger: Logger) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { break }
            flush(logger: logger)
        }
        flush(logger: logger)
    }

    /// Logged requests' rows as a table with the columns `features` name, typed by the model's
    /// schema (a categorical feature's numbers read as text, as when it was served), for drift
    /// against the version's reference profile. A record that is not the JSON the log writes is
    /// an error naming its position.
    public static func servedTable(_ records: [ServedRequestRecord], features: [FeatureSchema.Feature]) throws -> Table {
        var columns: [String: [FeatureValue]] = [:]
        var rows = 0
        let decoder = JSONDecoder()
        for (position, record) in records.enumerated() {
            let decoded: [String: [LoggedValue]]
            do {
                decoded = try decoder.decode([String: [LoggedValue]].self, from: Data(record.features.utf8))
            } catch {
                throw RegistryError.invalid("served_requests: record \(position + 1) of \(record.model)@\(record.version) (\(StoredDate.encode(record.servedAt))): features is not a JSON object of columns (\(error))")
            }
            for feature in features {
                let values = decoded[feature.name]?.map(\.value) ?? Array(repeating: .missing, count: record.rows)
                guard values.count == record.rows else {
                    throw RegistryError.invalid("served_requests: record \(position + 1) of \(record.model)@\(record.version): feature '\(feature.name)' has \(values.count) values for \(record.rows) rows")
                }
                columns[feature.name, default: []] += values
            }
            rows += record.rows
        }
        return try FeatureRows(rowCount: rows, columns: columns).table(for: features)
    }

    private struct LoggedValue: Decodable {
        let value: FeatureValue
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { value = .missing } else if let number = try? container.decode(Double.self) { value = .number(number) } else {
                value = .text(try container.decode(String.self))
            }
        }
    }
}
