import Foundation
import Engine
import NN
import Training
import Growth

/// Where a model came from: the training that produced its current weights.
public struct TrainingRecord: Codable, Sendable {
    public var command: String
    public var dataset: String
    public var method: String?
    public var depth: String?
    public var shots: Int?
    public var epochs: Int
    public var steps: Int
    public var batchSize: Int
    public var learningRate: Double
    public var seed: UInt64
    public var testAccuracy: Double?
    public var seconds: Double
    public var threads: Int
    public var date: String
    public var version: String

    public init(command: String, dataset: String, method: String? = nil, depth: String? = nil, shots: Int? = nil, epochs: Int, steps: Int,
                batchSize: Int, learningRate: Double, seed: UInt64, testAccuracy: Double?, seconds: Double) {
        self.command = command; self.dataset = dataset; self.method = method; self.depth = depth; self.shots = shots
        self.epochs = epochs; self.steps = steps; self.batchSize = batchSize; self.learningRate = learningRate; self.seed = seed
        self.testAccuracy = testAccuracy; self.seconds = seconds; self.threads = Threads.count
        self.date = ISO8601DateFormatter().string(from: Date()); self.version = GrowingBrainVersion.current
    }
}

public enum GrowingBrainVersion { public static let current = "0.1.0" }

/// A self-describing model file: safetensors whose metadata holds a magic format name, a version,
/// the architecture with its growth log, the training history and the optimizer position; the
/// tensors hold the weights, buffers and momentum (`optimizer.velocity.<name>`).
/// Loading rebuilds the grown architecture from the spec before any weight is read.
public struct Checkpoint {
    public static let format = "growingbrain.checkpoint"
    public static let formatVersion = 1
    static let velocityPrefix = "optimizer.velocity."

    public var network: GrownNetwork
    /// Oldest first: pretraining, then each fine-tuning.
    public var history: [TrainingRecord]
    public var velocity: [String: Tensor]
    /// Parameters created by the latest growth (they train at 10× and count as "new" for depth).
    public var newParameters: Set<String>

    public init(network: GrownNetwork, history: [TrainingRecord], velocity: [String: Tensor] = [:], newParameters: Set<String> = []) {
        self.network = network; self.history = history; self.velocity = velocity; self.newParameters = newParameters
    }

    public func save(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ v: T) throws -> String { String(data: try encoder.encode(v), encoding: .utf8)! }
        let metadata = [
            "format": Self.format, "format_version": String(Self.formatVersion),
            "spec": try json(network.spec), "history": try json(history), "new_parameters": try json(newParameters.sorted()),
        ]
        let tensors = network.model.stateDict() + velocity.keys.sorted().map { (Self.velocityPrefix + $0, velocity[$0]!) }
        try SafeTensors.write(tensors, metadata: metadata, to: url)
    }

    public static func load(from url: URL) throws -> Checkpoint {
        let file: SafeTensorsFile
        do { file = try SafeTensors.read(contentsOf: url) } catch { throw CheckpointError("\(error)") }
        let name = url.lastPathComponent
        guard file.metadata["format"] == format else {
            throw CheckpointError("\(name) is a safetensors file but not a GrowingBrain checkpoint (no format \"\(format)\" in its metadata); make one with `grow pretrain` or `grow finetune`")
        }
        guard let v = file.metadata["format_version"].flatMap(Int.init), v == formatVersion else {
            throw CheckpointError("\(name) has checkpoint format version \(file.metadata["format_version"] ?? "?"); this grow reads version \(formatVersion) — re-create it with this version")
        }
        let decoder = JSONDecoder()
        func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
            guard let text = file.metadata[key], let data = text.data(using: .utf8) else { throw CheckpointError("\(name): metadata '\(key)' is missing") }
            do { return try decoder.decode(type, from: data) } catch { throw CheckpointError("\(name): metadata '\(key)' is unreadable: \(error)") }
        }
        let spec = try decode(NetworkSpec.self, "spec")
        let model: Sequential
        do { model = try spec.build() } catch { throw CheckpointError("\(name): cannot rebuild its architecture: \(error)") }
        let weights = file.tensors.filter { !$0.key.hasPrefix(velocityPrefix) }
        do { try model.load(weights, origin: name) } catch { throw CheckpointError("\(error)") }
        var velocity: [String: Tensor] = [:]
        for (k, t) in file.tensors where k.hasPrefix(velocityPrefix) { velocity[String(k.dropFirst(velocityPrefix.count))] = t }
        return Checkpoint(network: GrownNetwork(spec: spec, model: model), history: try decode([TrainingRecord].self, "history"),
                          velocity: velocity, newParameters: Set(try decode([String].self, "new_parameters")))
    }
}

public struct CheckpointError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
