import Foundation

/// Values computed once per key (a split point in a network) and shared by concurrent runs: the first to ask computes
/// while the others wait, then all read the same value.
final class SharedMemo<Value>: @unchecked Sendable {
    private var entries: [Int: Value] = [:]
    private let lock = NSLock()

    func value(for key: Int, compute: () throws -> Value) rethrows -> Value {
        lock.lock(); defer { lock.unlock() }
        if let hit = entries[key] { return hit }
        let value = try compute()
        entries[key] = value
        return value
    }
}
