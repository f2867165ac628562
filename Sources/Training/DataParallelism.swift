import Engine
import NN

/// How training steps are shared by several processes (data parallelism, e.g. MPI ranks): each process takes
/// its own rows of every global batch, and the gradients and the step's statistics are summed across processes,
/// so every process applies the same update to the same weights. The trainer needs only these collectives.
public protocol DataParallelism: AnyObject {
    /// This process's index, 0 ..< `size`.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Sums each buffer over all processes, in place (one bucket for all of them).
    func sum(_ buffers: [UnsafeMutableBufferPointer<Float>])
    /// Sums `values` over all processes, in place.
    func sum(_ values: inout [Double])
    /// Replaces each buffer with rank 0's.
    func broadcast(_ buffers: [UnsafeMutableBufferPointer<Float>])
}

extension DataParallelism {
    /// Rows of a global batch of `count` that this process trains on: rank r takes [r·count/size, (r+1)·count/size).
    public func rows(of count: Int) -> Range<Int> { (rank * count / size)..<((rank + 1) * count / size) }
}

extension Batch {
    /// The rows `range` of this batch.
    public func rows(_ range: Range<Int>) -> Batch {
        range.count == labels.count ? self : Batch(inputs: inputs.gatheringRows(Array(range)), labels: Array(labels[range]))
    }
}
