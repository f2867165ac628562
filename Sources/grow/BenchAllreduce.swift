import Foundation
import Distributed

/// `grow bench --allreduce` under mpirun: the time of one gradient allreduce (one flat float bucket, as training
/// sends it) by bucket size, best of several rounds; the basis of the scaling projection in the README.
enum AllreduceBenchmark {
    static func run(rounds: Int) {
        guard let world = MPICommunicator.joinIfLaunched() else {
            print("grow bench --allreduce measures MPI: run it under mpirun -np 2 (or more)")
            return
        }
        if world.isRoot { print("MPI_Allreduce (sum) of one float bucket, \(world.size) ranks: MB, best ms, GB/s of bucket bytes") }
        for megabytes in [1, 4, 16, 47, 64] {
            let count = megabytes * 1_000_000 / 4
            let bucket = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            _ = bucket.initialize(repeating: 1)
            defer { bucket.deallocate() }
            var best = Double.infinity
            for _ in 0..<rounds {
                world.barrier()
                let start = Date()
                world.sum([bucket])
                var elapsed = [Date().timeIntervalSince(start)]
                world.sum(&elapsed)   // the slowest rank sets the step's pace: take the mean over ranks
                best = min(best, elapsed[0] / Double(world.size))
            }
            if world.isRoot { print(String(format: "%4d MB  %8.2f ms  %6.2f GB/s", megabytes, 1000 * best, Double(megabytes) / 1000 / best)) }
        }
    }
}
