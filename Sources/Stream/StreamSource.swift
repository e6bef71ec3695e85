import Foundation

/// The `--from` argument of `engage stream`: `inbox:DIR` or `zmq:ENDPOINT`.
public enum StreamSourceSpec: Equatable, Sendable {
    case inbox(String)
    case zmq(String)

    public init(parsing text: String) throws {
        if text.hasPrefix("inbox:"), text.count > 6 {
            self = .inbox(String(text.dropFirst(6)))
        } else if text.hasPrefix("zmq:"), text.count > 4 {
            self = .zmq(String(text.dropFirst(4)))
        } else {
            throw StreamError("--from \(text): expected inbox:DIR or zmq:tcp://HOST:PORT")
        }
    }

    /// `30s`, `500ms`, `2m`, `1h`, or a plain number of seconds.
    public static func seconds(_ text: String, option: String) throws -> Double {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (unit, scale) in units where text.hasSuffix(unit) {
            if let value = Double(text.dropLast(unit.count)), value >= 0, value.isFinite { return value * scale }
        }
        if let value = Double(text), value >= 0, value.isFinite { return value }
        throw StreamError("\(option) \(text): expected a duration such as 30s, 500ms or 2m")
    }
}
