import Foundation
import ArgumentParser
import Logging

/// The CLI's logger: run-by-run news on standard error (results and summaries go to standard output).
/// `--log-level` (or `GROW_LOG_LEVEL`) chooses how much: debug adds configuration details.
enum Log {
    nonisolated(unsafe) private static var bootstrapped = false
    static let grow = Logger(label: "grow")

    static func bootstrap(level: Logger.Level) {
        guard !bootstrapped else { return }
        bootstrapped = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
