/// Which rows belong to which leaf, kept as contiguous segments of one index array.
///
/// Splitting a leaf partitions its segment in place (stably, so rows stay in increasing
/// order and histogram building walks memory forward), as LightGBM's `DataPartition`.
/// The left child keeps the parent's leaf number; the right child gets a new one.
final class DataPartition {
    let rowCapacity: Int
    private let indices: UnsafeMutablePointer<Int32>
    private let scratch: UnsafeMutablePointer<Int32>
    private var begin: [Int]
    private var count: [Int]

    init(rowCapacity: Int, leafCapacity: Int) {
        self.rowCapacity = rowCapacity
        indices = .allocate(capacity: max(1, rowCapacity))
        scratch = .allocate(capacity: max(1, rowCapacity))
        begin = [Int](repeating: 0, count: leafCapacity)
        count = [Int](repeating: 0, count: leafCapacity)
    }

    deinit {
        indices.deallocate()
        scratch.deallocate()
    }

    /// One leaf holding `bag` (sorted row numbers), or every row when `bag` is nil.
    func reset(bag: [Int32]?) {
        if let bag {
            bag.withUnsafeBufferPointer { source in
                _ = UnsafeMutableBufferPointer(start: indices, count: bag.count).initialize(from: source)
            }
            count[0] = bag.count
        } else {
            for i in 0..<rowCapacity { indices[i] = Int32(truncatingIfNeeded: i) }
            count[0] = rowCapacity
        }
        begin[0] = 0
    }

    func rows(ofLeaf leaf: Int) -> UnsafeBufferPointer<Int32> {
        UnsafeBufferPointer(start: indices + begin[leaf], count: count[leaf])
    }

    func rowCount(ofLeaf leaf: Int) -> Int { count[leaf] }

    /// Moves the rows of `leaf` whose bin in `column` maps to false in `goesLeft` into
    /// `newLeaf`; returns how many rows stayed left.
    func split(leaf: Int, into newLeaf: Int, column: UnsafePointer<UInt8>, goesLeft: UnsafePointer<Bool>) -> Int {
        let start = indices + begin[leaf]
        let n = count[leaf]
        var left = 0
        var right = 0
        for i in 0..<n {
            let row = start[i]
            if goesLeft[Int(column[Int(row)])] {
                start[left] = row
                left &+= 1
            } else {
                scratch[right] = row
                right &+= 1
            }
        }
        (start + left).update(from: scratch, count: right)
        count[leaf] = left
        begin[newLeaf] = begin[leaf] + left
        count[newLeaf] = right
        return left
    }
}
