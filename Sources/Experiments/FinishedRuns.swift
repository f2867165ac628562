import Foundation
import NN

/// The finished runs of a comparison, one small JSON file per unit of work in `OUT/finished/`, each written
/// atomically as soon as its work ends, so a comparison stopped by Ctrl-C, a crash or a full disk continues
/// where it stopped: a later `grow compare` with the same configuration into the same folder takes these
/// runs as they are and trains only the rest. The stamp (configuration, source, version) must match exactly.
struct FinishedRuns {
    let directory: URL
    let stamp: String

    struct Entry: Codable { let stamp: String; let runs: [RunResult] }

    /// The store of `config` against the source described by `source`; `workers` does not change results, so it is not stamped.
    init(directory: URL, config: ComparisonConfig, source: String) throws {
        var stamped = config
        stamped.workers = 1
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.directory = directory
        self.stamp = String(decoding: try encoder.encode(stamped), as: UTF8.self) + " | " + source + " | " + GrowingBrainVersion.current
    }

    func url(_ key: String) -> URL {
        directory.appendingPathComponent(key.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? String($0) : "_" }.joined() + ".json")
    }

    /// The runs of work `key`, if they were finished under the same stamp.
    func load(_ key: String) -> [RunResult]? {
        guard let data = try? Data(contentsOf: url(key)), let entry = try? JSONDecoder().decode(Entry.self, from: data),
              entry.stamp == stamp else { return nil }
        return entry.runs
    }

    func save(_ runs: [RunResult], key: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try AtomicFile.write(JSONEncoder().encode(Entry(stamp: stamp, runs: runs)), to: url(key))
    }
}
