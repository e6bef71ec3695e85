/// The two inner loops of every dense layer, written with 8-wide SIMD so that they vectorise
/// without fast-math: `axpy` (y += a·x) and `dot`.
enum VectorKernels {
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let raw = UnsafeRawPointer(x), out = UnsafeMutableRawPointer(y)
        let scale = SIMD8<Float>(repeating: a)
        while i + 8 <= count {
            let offset = i * MemoryLayout<Float>.stride
            let sum = out.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                + scale * raw.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            out.storeBytes(of: sum, toByteOffset: offset, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            y[i] += a * x[i]
            i += 1
        }
    }

    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var i = 0
        var acc = SIMD8<Float>(repeating: 0)
        let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
        while i + 8 <= count {
            let offset = i * MemoryLayout<Float>.stride
            acc += rx.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                * ry.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            i += 8
        }
        var sum = acc.sum()
        while i < count {
            sum += x[i] * y[i]
            i += 1
        }
        return sum
    }

    /// y[i] = x[i] for `count` values: short vectors, where a `memmove` call costs more than the copy.
    @inline(__always)
    static func copy(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let raw = UnsafeRawPointer(x), out = UnsafeMutableRawPointer(y)
        while i + 8 <= count {
            let offset = i * MemoryLayout<Float>.stride
            out.storeBytes(of: raw.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self), toByteOffset: offset, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            y[i] = x[i]
            i += 1
        }
    }

    /// y[i] = 0 for `count` values.
    @inline(__always)
    static func zero(_ y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let out = UnsafeMutableRawPointer(y)
        while i + 8 <= count {
            out.storeBytes(of: SIMD8<Float>(repeating: 0), toByteOffset: i * MemoryLayout<Float>.stride, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            y[i] = 0
            i += 1
        }
    }

    /// y[i] += x[i] for `count` values.
    @inline(__always)
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        axpy(1, x, y, count: count)
    }
}
