import Foundation
import NN

/// The checkpoints written during one training run, in a folder beside its output
/// (`runs/x.safetensors` → `runs/x.checkpoints/step-0000300.safetensors`): each written atomically,
/// the newest readable one found again on resume, old ones pruned to the last K and, optionally, the
/// best by held-out accuracy.
public struct CheckpointSeries {
    public let directory: URL
    /// Keep only the newest K step files (nil: keep all).
    public let keepLast: Int?
    /// Also keep the step file with the best held-out accuracy.
    public let keepBest: Bool

    /// The series of the run whose final checkpoint is `output`.
    public init(output: String, keepLast: Int? = nil, keepBest: Bool = false) {
        let url = URL(fileURLWithPath: output)
        let stem = url.pathExtension.isEmpty ? url.lastPathComponent : url.deletingPathExtension().lastPathComponent
        directory = url.deletingLastPathComponent().appendingPathComponent(stem + ".checkpoints", isDirectory: true)
        self.keepLast = keepLast; self.keepBest = keepBest
    }

    public func url(step: Int) -> URL { directory.appendingPathComponent(String(format: "step-%07d.safetensors", step)) }

    /// The step files present, oldest first.
    public func files() -> [(step: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("step-"), name.hasSuffix(".safetensors"),
                  let step = Int(name.dropFirst(5).dropLast(12)) else { return nil }
            return (step, directory.appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }
    }

    /// Writes `checkpoint` as the file of `step`, then prunes.
    @discardableResult
    public func save(_ checkpoint: Checkpoint, step: Int) throws -> URL {
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw CheckpointError("cannot create the checkpoint folder \(directory.path): \(error.localizedDescription)")
        }
        let url = url(step: step)
        try checkpoint.save(to: url)
        prune()
        return url
    }

    /// The newest step file that loads and holds a resume state; unreadable newer ones are reported through
    /// `skipped` and passed over (an atomic write never leaves one, but a disk can still corrupt a file).
    public func latest(skipped: (URL, Error) -> Void = { _, _ in }) -> (checkpoint: Checkpoint, url: URL)? {
        for (_, url) in files().reversed() {
            do {
                let c = try Checkpoint.load(from: url)
                guard c.resume != nil else { throw CheckpointError("\(url.path) holds no training position") }
                return (c, url)
            } catch { skipped(url, error) }
        }
        return nil
    }

    /// Deletes step files beyond the newest `keepLast`, sparing the best one when `keepBest`.
    func prune() {
        guard let keepLast else { return }
        let all = files()
        guard all.count > keepLast else { return }
        var keep = Set(all.suffix(max(keepLast, 1)).map(\.step))
        if keepBest {
            let scored = all.compactMap { f -> (Int, Double)? in
                guard let text = try? SafeTensors.metadata(of: f.url)["resume"],
                      let state = try? JSONDecoder().decode(ResumeState.self, from: Data(text.utf8)), let a = state.accuracy else { return nil }
                return (f.step, a)
            }
            // The earliest step wins a tie, so the kept file does not move without a real improvement.
            if let best = scored.max(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 > $1.0) }) { keep.insert(best.0) }
        }
        for f in all where !keep.contains(f.step) { try? FileManager.default.removeItem(at: f.url) }
    }
}
