import Foundation

/// A dense float32 tensor: contiguous, row-major, NCHW for images, in 64-byte aligned storage.
///
/// `Tensor` is a reference type: layers cache their inputs for backward without copying,
/// and kernels write through `pointer` directly. `reshaped(_:)` shares storage.
/// Hot loops take `pointer` once per kernel; never index `self[...]` in a kernel.
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    public let shape: [Int]
    public let count: Int
    let storage: TensorStorage

    /// The first element. Valid for `count` floats while the tensor is alive.
    public let pointer: UnsafeMutablePointer<Float>

    /// A zero-filled tensor.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.storage = TensorStorage(count: count, zeroed: true)
        self.pointer = storage.base
    }

    /// A tensor whose contents the caller will overwrite completely.
    public init(uninitialized shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.storage = TensorStorage(count: count, zeroed: false)
        self.pointer = storage.base
    }

    /// A tensor holding `values` (row-major) in `shape`.
    public convenience init(shape: [Int], values: [Float]) {
        let n = shape.reduce(1, *)
        precondition(values.count == n, "Tensor: \(values.count) values do not fill shape \(shape) (\(n) elements)")
        self.init(uninitialized: shape)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: n) }
    }

    /// A tensor filled with `value`.
    public convenience init(shape: [Int], repeating value: Float) {
        self.init(uninitialized: shape)
        pointer.update(repeating: value, count: count)
    }

    init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.storage = storage
        self.pointer = storage.base
    }

    /// The same data seen with another shape of equal element count (no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var newShape = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.map(\.element).reduce(1, *)
            newShape[inferred] = known == 0 ? 0 : count / known
        }
        precondition(newShape.reduce(1, *) == count,
                     "reshape: cannot view \(shape) (\(count) elements) as \(newShape)")
        return Tensor(shape: newShape, storage: storage)
    }

    /// A deep copy.
    public func copy() -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.pointer.update(from: pointer, count: count)
        return t
    }

    /// Copies `other`'s values into this tensor; shapes must hold the same number of elements.
    public func assign(_ other: Tensor) {
        precondition(other.count == count, "assign: \(other.shape) into \(shape)")
        pointer.update(from: other.pointer, count: count)
    }

    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }
    public func zero() { fill(0) }

    /// The values as an array (for tests and serialisation, not for hot paths).
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    /// Element access by flat index (tests only).
    public subscript(flat i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    /// Element access by multi-index (tests only).
    public subscript(_ idx: Int...) -> Float {
        get { pointer[flatIndex(idx)] }
        set { pointer[flatIndex(idx)] = newValue }
    }

    func flatIndex(_ idx: [Int]) -> Int {
        precondition(idx.count == shape.count, "index \(idx) has wrong rank for shape \(shape)")
        var f = 0
        for (i, d) in zip(idx, shape) { precondition(i >= 0 && i < d, "index \(idx) out of range for \(shape)"); f = f * d + i }
        return f
    }

    public var description: String {
        let head = array.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor\(shape)[\(head)\(count > 8 ? ", …" : "")]"
    }
}

/// 64-byte aligned float storage. Large buffers are recycled through `BufferPool`
/// so that a training step does not page-fault fresh mmap'd memory on every allocation.
final class TensorStorage: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let capacity: Int

    init(count: Int, zeroed: Bool) {
        capacity = Swift.max(count, 1)
        base = BufferPool.shared.take(capacity)
        if zeroed { base.update(repeating: 0, count: capacity) }
    }

    deinit { BufferPool.shared.give(base, capacity) }
}
