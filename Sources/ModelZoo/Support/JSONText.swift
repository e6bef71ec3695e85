import Dataset
import Foundation

extension JSONEncoder {
    /// An encoder with sorted keys: the JSON that artifacts and reports store, byte-stable for
    /// the same value, so hashes and diffs of stored documents mean something. Undefined numbers
    /// are `null` (see `EngageJSONEncoder`).
    public static var sortedKeys: JSONEncoder { EngageJSONEncoder() }
}
