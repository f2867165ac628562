import Foundation
import Datasets
import NN
import Zoo

/// The readers under fuzzing, by the name GROW_FUZZ_READER or `--reader` gives. Each takes the
/// bytes of one file and either returns or throws; a crash, a sanitizer report or a hang is a bug.
enum FuzzReaders {
    static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "idx": idx, "csv": csv, "jpeg": jpeg, "png": png, "safetensors": safetensors, "pth": pth,
    ]
    static let names = all.keys.sorted().joined(separator: ", ")

    /// Runs `reader` on `bytes`, ignoring the outcome: only crashing matters here.
    static func run(_ reader: String, _ bytes: [UInt8]) {
        all[reader]?(bytes)
    }
}
