import Foundation
import Training

/// Several processes sharing one comparison (MPI ranks): each runs its share of the grid's work and every
/// process ends with every result, in the grid's order, as one process would have them.
public protocol GridDistribution: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// Every process's `bytes`, in rank order, in every process.
    func allGather(_ bytes: Data) -> [Data]
}

/// What one process hands the others: its runs by job index, and whether it stopped early.
struct GridShare: Codable {
    var runs: [Int: [RunResult]]
    /// The signal that stopped it, if a signal did; other failures by their description.
    var stoppedBy: Int32?
    var failure: String?
}

/// A failure on another process of a distributed grid.
struct RemoteGridFailure: Error, CustomStringConvertible {
    let rank: Int
    let message: String
    var description: String { "rank \(rank): \(message)" }
}

extension ComparisonRunner {
    /// Which process runs each job: heaviest first, each to the process with the least work so far (lowest rank on
    /// a tie) — the same assignment in every process.
    static func assign(costs: [Double], processes: Int) -> [Int] {
        var load = [Double](repeating: 0, count: processes), owner = [Int](repeating: 0, count: costs.count)
        let order = costs.indices.sorted { costs[$0] > costs[$1] || (costs[$0] == costs[$1] && $0 < $1) }
        for i in order {
            let p = load.indices.min { load[$0] < load[$1] || (load[$0] == load[$1] && $0 < $1) }!
            owner[i] = p
            load[p] += max(costs[i], 1e-3)   // free (reused) jobs still spread
        }
        return owner
    }

    /// `execute` over the processes of `distribution`: this process runs the jobs assigned to it, then all exchange
    /// their runs, so every process returns the whole grid's runs in job order and the first failure of any.
    func executeDistributed(_ jobs: [Job], on distribution: GridDistribution) -> (runs: [RunResult], failure: Error?) {
        let owner = Self.assign(costs: jobs.map(\.cost), processes: distribution.size)
        let mine = jobs.indices.filter { owner[$0] == distribution.rank }
        let (runs, failure) = executeEach(mine.map { jobs[$0] })
        var share = GridShare(runs: [:])
        for (k, i) in mine.enumerated() { share.runs[i] = runs[k] }
        if let failure {
            if case let Trainer.Stop.interrupted(_, signal) = failure { share.stoppedBy = signal } else { share.failure = "\(failure)" }
        }
        let shares = distribution.allGather((try? JSONEncoder().encode(share)) ?? Data())
            .map { (try? JSONDecoder().decode(GridShare.self, from: $0)) ?? GridShare(runs: [:], failure: "its results could not be read") }
        var all: [Int: [RunResult]] = [:]
        for s in shares { all.merge(s.runs) { a, _ in a } }
        var firstFailure: Error?
        for (rank, s) in shares.enumerated() where firstFailure == nil {
            if let signal = s.stoppedBy { firstFailure = Trainer.Stop.interrupted(step: 0, signal: signal) }
            else if let message = s.failure { firstFailure = RemoteGridFailure(rank: rank, message: message) }
        }
        return (jobs.indices.flatMap { all[$0] ?? [] }, firstFailure)
    }
}
