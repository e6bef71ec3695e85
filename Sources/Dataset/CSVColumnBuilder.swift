/// One CSV column as `CSVReader` fills it, chunk by chunk: numbers while every cell so far
/// has been one (missing cells are NaN), category codes from the first cell that is not —
/// or from the start, when the column is forced categorical.
struct CSVColumnBuilder {
    /// A field's bytes and whether it held `""` escapes still to collapse.
    struct Cell {
        var bytes: UnsafeBufferPointer<UInt8>
        var escaped: Bool
    }

    let forcedNumeric: Bool
    private(set) var isNumeric: Bool
    /// Set on a forced-numeric column's first cell that is not a number; nothing is added after it.
    var failure: CSVError?
    private var numbers: [Double] = []
    private var codes: [Int32] = []
    private var levels = CSVLevels()

    init(categorical: Bool, forcedNumeric: Bool) {
        self.forcedNumeric = forcedNumeric
        isNumeric = !categorical
    }

    mutating func reserve(_ rows: Int) {
        if isNumeric { numbers.reserveCapacity(rows) } else { codes.reserveCapacity(rows) }
    }

    /// Appends `value(r)` for r in `0..<count` until it returns nil; returns how many were appended.
    @inline(__always)
    mutating func appendNumbers(count: Int, _ value: (Int) -> Double?) -> Int {
        var appended = count
        for r in 0..<count {
            guard let number = value(r) else {
                appended = r
                break
            }
            numbers.append(number)
        }
        return appended
    }

    /// Drops the numbers read so far: the caller appends those rows again as categories.
    mutating func becomeCategorical() {
        codes.reserveCapacity(numbers.capacity)
        numbers = []
        isNumeric = false
    }

    /// Appends a cell to a categorical column: missing is -1, anything else its level's code.
    @inline(__always)
    mutating func appendCategory(field cell: Cell) {
        if CSVCell.isMissing(cell.bytes) {
            codes.append(-1)
        } else if cell.escaped {
            codes.append(CSVCell.unescapedBytes(cell.bytes).withUnsafeBufferPointer { levels.code(of: $0) })
        } else {
            codes.append(levels.code(of: cell.bytes))
        }
    }

    func column() -> Column {
        isNumeric ? .numeric(numbers) : .categorical(codes: codes, levels: levels.levels)
    }
}
