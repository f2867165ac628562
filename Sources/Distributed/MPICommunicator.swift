import Foundation
import CMPI
import Training

/// The processes of an MPI job (Open MPI under `mpirun` or Slurm's `srun`), as the data parallelism the
/// trainer needs and the few collectives the comparison grid uses. A process started without a launcher
/// never initialises MPI and behaves exactly as a single process always has.
public final class MPICommunicator: DataParallelism, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// Processes on this host (to divide the cores among them).
    public let localSize: Int

    /// The job this process belongs to, when a launcher started it with more than one process; nil otherwise.
    nonisolated(unsafe) public private(set) static var world: MPICommunicator?

    /// Whether an MPI launcher started this process (Open MPI's mpirun, or a PMI/PMIx launcher such as srun).
    public static var launchedByMPI: Bool {
        let env = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"].contains { env[$0] != nil }
    }

    /// Initialises MPI when a launcher started this process and the job has more than one process; idempotent.
    /// MPI is finalised when the process exits normally.
    @discardableResult
    public static func joinIfLaunched() -> MPICommunicator? {
        if let world { return world }
        guard launchedByMPI else { return nil }
        var provided: Int32 = 0
        guard MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided) == grow_mpi_success() else {
            FileHandle.standardError.write(Data("error: MPI could not be initialised; check the launcher (mpirun -np N grow …)\n".utf8))
            exit(1)
        }
        var r: Int32 = 0, n: Int32 = 0
        MPI_Comm_rank(grow_mpi_comm_world(), &r)
        MPI_Comm_size(grow_mpi_comm_world(), &n)
        atexit { MPI_Finalize() }
        guard n > 1 else { return nil }
        let local = Int(ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? "") ?? Int(n)
        let c = MPICommunicator(rank: Int(r), size: Int(n), localSize: local)
        world = c
        return c
    }

    init(rank: Int, size: Int, localSize: Int) { self.rank = rank; self.size = size; self.localSize = max(1, localSize) }

    public var isRoot: Bool { rank == 0 }

    public func sum(_ buffers: [UnsafeMutableBufferPointer<Float>]) {
        let total = buffers.reduce(0) { $0 + $1.count }
        guard total > 0 else { return }
        // One flat bucket, one collective: far fewer messages than a call per tensor.
        let bucket = UnsafeMutableBufferPointer<Float>.allocate(capacity: total)
        defer { bucket.deallocate() }
        var offset = 0
        for b in buffers { _ = UnsafeMutableBufferPointer(rebasing: bucket[offset..<(offset + b.count)]).initialize(from: b); offset += b.count }
        check(MPI_Allreduce(grow_mpi_in_place(), bucket.baseAddress, Int32(total), grow_mpi_float(), grow_mpi_sum(), grow_mpi_comm_world()), "sum")
        offset = 0
        for b in buffers { _ = b.initialize(from: bucket[offset..<(offset + b.count)]); offset += b.count }
    }

    public func sum(_ values: inout [Double]) {
        let n = Int32(values.count)
        values.withUnsafeMutableBufferPointer { v in
            check(MPI_Allreduce(grow_mpi_in_place(), v.baseAddress, n, grow_mpi_double(), grow_mpi_sum(), grow_mpi_comm_world()), "sum")
        }
    }

    public func broadcast(_ buffers: [UnsafeMutableBufferPointer<Float>]) {
        for b in buffers where !b.isEmpty {
            check(MPI_Bcast(b.baseAddress, Int32(b.count), grow_mpi_float(), 0, grow_mpi_comm_world()), "broadcast")
        }
    }

    /// Every process's `bytes`, in rank order, in every process.
    public func allGather(_ bytes: Data) -> [Data] {
        var count = [Int64(bytes.count)]
        var counts = [Int64](repeating: 0, count: size)
        check(MPI_Allgather(&count, 1, grow_mpi_int64(), &counts, 1, grow_mpi_int64(), grow_mpi_comm_world()), "gather sizes")
        let sizes = counts.map { Int32($0) }
        var offsets = [Int32](repeating: 0, count: size)
        for i in 1..<max(size, 1) { offsets[i] = offsets[i - 1] + sizes[i - 1] }
        var out = [UInt8](repeating: 0, count: Int(sizes.reduce(0, +)))
        var mine = [UInt8](bytes)
        check(MPI_Allgatherv(&mine, Int32(mine.count), grow_mpi_byte(), &out, sizes, offsets, grow_mpi_byte(), grow_mpi_comm_world()), "gather")
        return (0..<size).map { Data(out[Int(offsets[$0])..<Int(offsets[$0] + sizes[$0])]) }
    }

    public func barrier() { check(MPI_Barrier(grow_mpi_comm_world()), "barrier") }

    /// Ends the whole job (every process) after a failure in this one, so no process waits forever for it.
    public func abort(_ message: String, code: Int32 = 1) -> Never {
        FileHandle.standardError.write(Data("error (rank \(rank) of \(size)): \(message); ending the job\n".utf8))
        MPI_Abort(grow_mpi_comm_world(), code)
        exit(code)
    }

    private func check(_ status: Int32, _ what: String) {
        if status != grow_mpi_success() { abort("MPI \(what) failed with code \(status)") }
    }
}
