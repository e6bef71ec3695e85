import Dataset

/// The external ids of users or items and their dense indices (0, 1, 2, … in first-seen order).
///
/// Models index embedding rows by position; callers speak in the ids of their own files. Ids
/// are strings so that numeric and text id columns work alike: a numeric id is written as an
/// integer when it is one ("42", not "42.0").
public struct IDVocabulary: Sendable, Equatable {
    public let ids: [String]
    private let lookup: [String: Int32]

    public init(ids: [String]) throws {
        var lookup = [String: Int32](minimumCapacity: ids.count)
        for (index, id) in ids.enumerated() where lookup.updateValue(Int32(index), forKey: id) != nil {
            throw RecommenderError.invalidModel("id '\(id)' appears twice in a vocabulary")
        }
        guard ids.count < Int(Int32.max) else { throw RecommenderError.invalidModel("more than 2^31 ids") }
        self.ids = ids
        self.lookup = lookup
    }

    public var count: Int { ids.count }

    public func index(of id: String) -> Int32? { lookup[id] }

    public static func == (lhs: IDVocabulary, rhs: IDVocabulary) -> Bool { lhs.ids == rhs.ids }

    /// The id text of every row of `column`; nil for a missing cell.
    public static func keys(_ column: Column) -> [String?] {
        switch column {
        case .numeric(let values):
            return values.map { v in
                guard v.isFinite else { return nil }
                if v == v.rounded(), abs(v) < 9.0e15 { return String(Int64(v)) }
                return String(v)
            }
        case .categorical(let codes, let levels):
            return codes.map { $0 >= 0 && Int($0) < levels.count ? levels[Int($0)] : nil }
        }
    }
}
