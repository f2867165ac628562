import Foundation

/// Faults a test can inject into a real `grow` process through its environment, to prove that what the
/// program promises under failure holds end to end (nothing here acts unless the variable is set):
/// - `GROW_FAULT_SIGNAL_AT_STEP=TERM:5` (or `INT:5`, `KILL:5`): the process raises the signal after training step 5
///   and its bookkeeping (a checkpoint due at step 5 is already written), as if a user or the system sent it then;
///   `TERM:5:3` the third time any training run of the process reaches step 5 (the third run of a comparison);
/// - `GROW_FAULT_SIGNAL_IN_WRITE=KILL:3`: the signal half-way through the 3rd atomic file write (KILL: a crash
///   mid-checkpoint; TERM or INT after a first one: the impatient second Ctrl-C);
/// - `GROW_FAULT_FAIL_RANK=1:5`: in a data-parallel run, rank 1 fails with an error after step 5 (a rank that dies);
/// - `GROW_FAULT_NAN_AT_STEP=7`: the last trainable parameter (the classifier's) becomes NaN before step 7 (a divergence);
/// - `GROW_FAULT_SLOW_STORE_READ=1:2`: in a grid spread over ranks, rank 1 reads the finished-runs store 2 s late (a
///   rank that starts late, while the others run and save).
public enum FaultInjection {
    nonisolated(unsafe) static let environment = ProcessInfo.processInfo.environment
    nonisolated(unsafe) static var writes = 0
    nonisolated(unsafe) static var stepsReached = 0
    static let lock = NSLock()

    /// (signal, step, occurrence) from GROW_FAULT_SIGNAL_AT_STEP.
    static let signalAtStep = parse("GROW_FAULT_SIGNAL_AT_STEP")
    /// (signal, write, 1) from GROW_FAULT_SIGNAL_IN_WRITE.
    static let signalInWrite = parse("GROW_FAULT_SIGNAL_IN_WRITE")

    /// "SIGNAL:N[:OCCURRENCE]".
    static func parse(_ variable: String) -> (signal: Int32, at: Int, occurrence: Int)? {
        guard let text = environment[variable] else { return nil }
        let parts = text.split(separator: ":")
        let signals: [Substring: Int32] = ["TERM": SIGTERM, "INT": SIGINT, "KILL": SIGKILL]
        guard parts.count == 2 || parts.count == 3, let signal = signals[parts[0]], let at = Int(parts[1]),
              let occurrence = parts.count == 3 ? Int(parts[2]) : 1 else { return nil }
        return (signal, at, occurrence)
    }

    public static let nanAtStep: Int? = environment["GROW_FAULT_NAN_AT_STEP"].flatMap { Int($0) }

    /// (rank, step) from GROW_FAULT_FAIL_RANK.
    public static let failRank: (rank: Int, step: Int)? = {
        let parts = (environment["GROW_FAULT_FAIL_RANK"] ?? "").split(separator: ":").compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }()

    /// (rank, seconds) from GROW_FAULT_SLOW_STORE_READ.
    public static let slowStoreRead: (rank: Int, seconds: Double)? = {
        let parts = (environment["GROW_FAULT_SLOW_STORE_READ"] ?? "").split(separator: ":")
        guard parts.count == 2, let rank = Int(parts[0]), let seconds = Double(parts[1]) else { return nil }
        return (rank, seconds)
    }()

    /// The error of an injected failure.
    public struct Injected: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Called by the trainer after each step.
    public static func afterStep(_ step: Int) {
        guard let (signal, at, occurrence) = signalAtStep, at == step else { return }
        lock.lock()
        stepsReached += 1
        let fire = stepsReached == occurrence
        lock.unlock()
        if fire { raise(signal) }
    }

    /// Called by `AtomicFile` half-way through writing a file's bytes.
    static func duringWrite() {
        guard let (signal, n, _) = signalInWrite else { return }
        writes += 1
        if writes == n { raise(signal) }
    }
}
