/// Copies a block of rows of a `FeatureMatrix` into a row-major buffer, in a model's feature order.
///
/// Tree traversal and network layers read one row's features together; the matrix is
/// column-major, so scoring gathers cache-sized blocks of rows first. Categorical columns'
/// negative codes become NaN, so every model sees one spelling of "missing".
struct FeatureRowBlock {
    let columns: [[Double]]
    let isCategorical: [Bool]

    /// The matrix's columns in the order of `featureNames`; throws naming a missing feature.
    init(_ x: FeatureMatrix, featureNames: [String]) throws {
        let indices = try x.columnIndices(for: featureNames)
        columns = indices.map { x.columns[$0] }
        isCategorical = indices.map { x.isCategorical[$0] }
    }

    var width: Int { columns.count }

    /// Writes rows `rows` into `out` (row-major, `width` values per row).
    func gather(_ rows: Range<Int>, into out: UnsafeMutablePointer<Double>) {
        let width = self.width
        for (f, column) in columns.enumerated() {
            let categorical = isCategorical[f]
            column.withUnsafeBufferPointer { values in
                var target = out + f
                for row in rows {
                    let v = values[row]
                    target.pointee = categorical && v < 0 ? .nan : v
                    target += width
                }
            }
        }
    }
}
