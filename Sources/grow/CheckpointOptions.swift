import ArgumentParser
import Foundation
import Training
import Experiments

/// Checkpoints during training and resuming from them (`grow pretrain`, `grow finetune`).
struct CheckpointOptions: ParsableArguments {
    @Option(help: "Write a checkpoint every N steps into OUT's .checkpoints folder (0: only when stopped by Ctrl-C or SIGTERM).")
    var checkpointEvery = 0

    @Flag(help: "Continue from the newest checkpoint in OUT's .checkpoints folder, with the same options; ends bit-identical to an uninterrupted run.")
    var resume = false

    @Option(help: "Keep only the newest K checkpoints in the folder.")
    var keepLast: Int?

    @Flag(help: "With --keep-last, also keep the checkpoint with the best held-out accuracy.")
    var keepBest = false

    func validate() throws {
        if checkpointEvery < 0 { throw ValidationError("--checkpoint-every must be 0 or more steps; got \(checkpointEvery).") }
        if let keepLast, keepLast < 1 { throw ValidationError("--keep-last must keep at least 1 checkpoint; got \(keepLast).") }
        if keepBest && keepLast == nil { throw ValidationError("--keep-best chooses what --keep-last spares; give --keep-last K too.") }
    }

    func series(output: String) -> CheckpointSeries { CheckpointSeries(output: output, keepLast: keepLast, keepBest: keepBest) }

    /// With --resume, the newest checkpoint of `series`, checked to belong to the run `options` describe.
    func resumePoint(_ series: CheckpointSeries, options: [String: String]) throws -> Checkpoint? {
        guard resume else { return nil }
        guard let (checkpoint, url) = series.latest(skipped: { url, error in
            Log.grow.warning("skipping \(url.path), which cannot be resumed from: \(error)")
        }) else {
            throw CheckpointError("--resume: no checkpoint to resume from in \(series.directory.path); start without --resume")
        }
        try checkpoint.resume!.checkSameRun(as: options, checkpoint: url.path)
        say("resuming from \(url.path) at step \(checkpoint.resume!.trainer.step)")
        return checkpoint
    }

    /// Set by a verb that runs others (`grow demo`): running it again, as it was, continues where it stopped.
    nonisolated(unsafe) static var continuesByRerunning = false

    /// The command that continues this run: the arguments it was started with, plus --resume (`adding`).
    static func resumeCommand(adding: Bool = true) -> String {
        let args = CommandLine.arguments
        let words = args + (!adding || continuesByRerunning || args.contains("--resume") ? [] : ["--resume"])
        return words.map(shellQuoted).joined(separator: " ")
    }

    /// Stops the process after a signal ended training: names the checkpoint, prints the command that resumes, and
    /// exits with 128 + the signal number.
    static func exitAfterStop(step: Int, signal: Int32, saved: URL) -> Never {
        say("stopped after step \(step); saved \(saved.path)\nresume with:\n  \(resumeCommand())")
        Foundation.exit(Interrupt.exitCode(signal))
    }
}

/// `word` as one shell word.
func shellQuoted(_ word: String) -> String {
    let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=,:+@%".contains($0) }
    return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// A Codable value's fields as option name → JSON value, for comparing the options of two runs.
func fields<T: Encodable>(_ value: T) throws -> [String: String] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let object = try JSONSerialization.jsonObject(with: encoder.encode(value)) as? [String: Any] ?? [:]
    return object.mapValues { v in
        let data = (try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .fragmentsAllowed])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
