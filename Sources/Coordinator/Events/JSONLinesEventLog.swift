import Foundation

/// `--events FILE`: every event as one JSON object per line, for programs (`engage watch`, jq).
///
/// Each line is written with one `write` and flushed at once, so a reader tailing the file never
/// sees half an object. Dates are ISO 8601 with milliseconds; numbers are always finite.
public final class JSONLinesEventLog: RunEventSink {
    private let handle: FileHandle
    private let encoder: JSONEncoder

    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        encoder = Self.makeEncoder()
    }

    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        return encoder
    }

    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 date: \(text)"))
            }
            return date
        }
        return decoder
    }

    public func receive(_ event: RunEvent, state: RunState) {
        guard var line = try? encoder.encode(event) else { return }
        line.append(0x0A)
        try? handle.write(contentsOf: line)
    }

    public func close(state: RunState) {
        try? handle.close()
    }
}
